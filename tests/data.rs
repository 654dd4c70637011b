//! Shape validation of the data views: every bad shape is an error, never a panic.

use steepest::{
    ColMajor, Error, RowMajor, What,
    kernels::{reference, simd},
};

#[test]
fn row_major_shapes() {
    let x = [0.0f32; 12];
    let y = [0.0f32; 4];
    assert!(RowMajor::new(&x, &y, 4, 3).is_ok());
    assert_eq!(
        RowMajor::new(&x, &y, 4, 2),
        Err(Error::Length {
            what: What::X,
            expected: 8,
            found: 12
        })
    );
    assert_eq!(
        RowMajor::new(&x, &y[..3], 4, 3),
        Err(Error::Length {
            what: What::Y,
            expected: 4,
            found: 3
        })
    );
    assert_eq!(RowMajor::new(&[], &[], 0, 3), Err(Error::Empty(What::Rows)));
    assert_eq!(
        RowMajor::new(&[], &y, 4, 0),
        Err(Error::Empty(What::Features))
    );
    assert_eq!(
        RowMajor::new(&x, &y, usize::MAX / 2, 3),
        Err(Error::Overflow)
    );
}

#[test]
fn col_major_shapes() {
    let x = [0.0f32; 15]; // 3 columns of stride 5
    let y = [0.0f32; 4];
    assert!(ColMajor::new(&x, &y, 4, 3, 5).is_ok());
    assert!(ColMajor::new(&x[..14], &y, 4, 3, 5).is_ok()); // last column unpadded
    assert_eq!(
        ColMajor::new(&x[..13], &y, 4, 3, 5),
        Err(Error::Length {
            what: What::X,
            expected: 14,
            found: 13
        })
    );
    assert_eq!(
        ColMajor::new(&x, &y, 4, 2, 5),
        Err(Error::Length {
            what: What::X,
            expected: 9,
            found: 15
        })
    );
    assert_eq!(
        ColMajor::new(&x, &y, 4, 3, 3),
        Err(Error::LeadingDimension { ld: 3, n: 4 })
    );
    assert_eq!(
        ColMajor::new(&x, &y, 0, 3, 5),
        Err(Error::Empty(What::Rows))
    );
    assert_eq!(
        ColMajor::new(&x, &y, 4, 0, 5),
        Err(Error::Empty(What::Features))
    );
    assert_eq!(
        ColMajor::new(&x, &y, 4, usize::MAX, usize::MAX / 2),
        Err(Error::Overflow)
    );
}

#[test]
fn row_ranges() {
    let x: Vec<f32> = (0..12).map(|v| v as f32).collect();
    let y = [0.0, 1.0, 2.0, 3.0];
    let rm = RowMajor::new(&x, &y, 4, 3).unwrap();
    let sub = rm.rows(1..3).unwrap();
    assert_eq!((sub.n(), sub.x(), sub.y()), (2, &x[3..9], &y[1..3]));
    assert_eq!(
        rm.rows(2..2),
        Err(Error::RowRange {
            start: 2,
            end: 2,
            n: 4
        })
    );
    assert_eq!(
        rm.rows(3..5),
        Err(Error::RowRange {
            start: 3,
            end: 5,
            n: 4
        })
    );
    let cm = ColMajor::new(&x, &y, 4, 3, 4).unwrap();
    let sub = cm.rows(1..3).unwrap();
    assert_eq!(sub.column(2), Some(&[9.0, 10.0][..]));
    assert_eq!(sub.column(3), None);
}

#[test]
fn kernels_reject_wrong_parameter_lengths() {
    let data = RowMajor::new(&[1.0, 2.0], &[1.0, 2.0], 2, 1)
        .unwrap()
        .into();
    let mut g = [0.0; 2];
    let e = Err(Error::Length {
        what: What::Weights,
        expected: 1,
        found: 2,
    });
    assert_eq!(simd::gradient(&data, &[0.0, 0.0], 0.0, &mut g[..1]), e);
    assert_eq!(reference::gradient(&data, &[0.0, 0.0], 0.0, &mut g[..1]), e);
    let e = Err(Error::Length {
        what: What::Gradient,
        expected: 1,
        found: 2,
    });
    assert_eq!(simd::gradient(&data, &[0.0], 0.0, &mut g), e);
    assert_eq!(reference::gradient(&data, &[0.0], 0.0, &mut g), e);
}

#[test]
fn errors_display_what_and_where() {
    let e = Error::NonFiniteData {
        what: What::Y,
        row: 7,
        col: 0,
    };
    assert_eq!(e.to_string(), "y is not finite at row 7, column 0");
    let e = Error::Diverged {
        epoch: 12,
        what: What::Loss,
    };
    assert!(e.to_string().contains("epoch 12"));
}
