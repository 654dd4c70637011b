//! The aggregates' models as bytes, for plans sent to other processes (`datafusion-proto`'s
//! `try_encode_udaf` and `try_decode_udaf`, a Ballista cluster).
//!
//! The format, little-endian: a tag byte, then for `steepest_gradient` (tag 1) one model, for
//! `steepest_moments` (tag 3) nothing, for `steepest_gradient_by` (tag 2) the default model, the number of keyed models as `u32` and
//! each as an `i64` key and a model, in key order. A model is its length as `u32`, the weights
//! and the bias as `f32` bits, so a decoded model has the encoded one's bits.

use std::collections::HashMap;

use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::AggregateUDF;

use crate::grouped::{GroupModels, GroupedGradientUdaf, NAME_BY};
use crate::moments::{MomentsUdaf, NAME_MOMENTS};
use crate::udaf::{GradientUdaf, NAME};

/// The aggregates [`encode`] and [`decode`] know, by name.
pub const NAMES: [&str; 3] = [NAME, NAME_BY, NAME_MOMENTS];

const ONE: u8 = 1;
const BY_KEY: u8 = 2;
const MOMENTS: u8 = 3;

/// Appends the model of a steepest aggregate to `buf` and returns `true`; for any other
/// aggregate, leaves `buf` as it is and returns `false`.
///
/// # Example
/// ```
/// use steepest_datafusion::{GradientUdaf, wire};
/// let mut buf = Vec::new();
/// assert!(wire::encode(&GradientUdaf::new(vec![0.5], 1.0).into_udaf(), &mut buf));
/// let back = wire::decode("steepest_gradient", &buf).unwrap();
/// assert_eq!(back.inner().downcast_ref::<GradientUdaf>().unwrap().model(), (&[0.5][..], 1.0));
/// ```
pub fn encode(udaf: &AggregateUDF, buf: &mut Vec<u8>) -> bool {
    let inner = udaf.inner();
    if let Some(g) = inner.downcast_ref::<GradientUdaf>() {
        buf.push(ONE);
        let (w, b) = g.model();
        put_model(buf, w, b);
        true
    } else if let Some(g) = inner.downcast_ref::<GroupedGradientUdaf>() {
        let models = g.models();
        buf.push(BY_KEY);
        put_model(buf, &models.default.0, models.default.1);
        let mut keys: Vec<_> = models.by_key.keys().copied().collect();
        keys.sort_unstable();
        // A map larger than u32::MAX models would not fit in any message: saturate, and let
        // the decoder refuse the short count's trailing bytes.
        buf.extend_from_slice(&u32::try_from(keys.len()).unwrap_or(u32::MAX).to_le_bytes());
        for key in keys {
            let (w, b) = &models.by_key[&key];
            buf.extend_from_slice(&key.to_le_bytes());
            put_model(buf, w, *b);
        }
        true
    } else if inner.downcast_ref::<MomentsUdaf>().is_some() {
        // No model: the tag alone, so that the receiving side needs nothing registered.
        buf.push(MOMENTS);
        true
    } else {
        false
    }
}

/// The aggregate `name` with the model encoded in `buf` by [`encode`].
///
/// # Errors
/// If `name` is not a steepest aggregate, or `buf` is not exactly one encoded model of it.
///
/// # Example
/// ```
/// use steepest_datafusion::wire;
/// assert!(wire::decode("steepest_gradient", &[1, 9]).is_err()); // truncated
/// ```
pub fn decode(name: &str, buf: &[u8]) -> Result<AggregateUDF> {
    let mut r = Reader { buf, name };
    let udaf = match (name, r.u8()?) {
        (NAME, ONE) => {
            let (w, b) = r.model()?;
            GradientUdaf::new(w, b).into_udaf()
        }
        (NAME_BY, BY_KEY) => {
            let default = r.model()?;
            let count = r.u32()?;
            let mut by_key = HashMap::new();
            for _ in 0..count {
                let key = i64::from_le_bytes(r.take()?);
                if by_key.insert(key, r.model()?).is_some() {
                    return exec_err!("{name}: key {key} encoded twice");
                }
            }
            GroupedGradientUdaf::new(GroupModels { by_key, default }).into_udaf()
        }
        (NAME_MOMENTS, MOMENTS) => MomentsUdaf::new().into_udaf(),
        (_, tag) => return exec_err!("{name}: not a steepest aggregate (tag {tag})"),
    };
    if !r.buf.is_empty() {
        return exec_err!("{name}: {} bytes after the model", r.buf.len());
    }
    Ok(udaf)
}

fn put_model(buf: &mut Vec<u8>, w: &[f32], b: f32) {
    // A model of more than u32::MAX weights has no buffer to be encoded into either.
    buf.extend_from_slice(&u32::try_from(w.len()).unwrap_or(u32::MAX).to_le_bytes());
    for v in w {
        buf.extend_from_slice(&v.to_le_bytes());
    }
    buf.extend_from_slice(&b.to_le_bytes());
}

struct Reader<'a> {
    buf: &'a [u8],
    name: &'a str,
}

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Result<[u8; N]> {
        match self.buf.split_first_chunk::<N>() {
            Some((head, rest)) => {
                self.buf = rest;
                Ok(*head)
            }
            None => exec_err!("{}: the encoded model is truncated", self.name),
        }
    }

    fn u8(&mut self) -> Result<u8> {
        Ok(self.take::<1>()?[0])
    }

    fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.take()?))
    }

    fn model(&mut self) -> Result<(Vec<f32>, f32)> {
        let d = self.u32()? as usize;
        // Check the length against what is left before allocating for it.
        if d > self.buf.len() / 4 {
            return exec_err!("{}: the encoded model is truncated", self.name);
        }
        let mut w = Vec::with_capacity(d);
        for _ in 0..d {
            w.push(f32::from_le_bytes(self.take()?));
        }
        Ok((w, f32::from_le_bytes(self.take()?)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grouped() -> AggregateUDF {
        let mut by_key = HashMap::new();
        by_key.insert(-3, (vec![1.5, f32::MIN_POSITIVE], -0.0));
        by_key.insert(7, (vec![2.0, -4.25], 3.0));
        GroupedGradientUdaf::new(GroupModels {
            by_key,
            default: (vec![0.0, 1.0], 0.5),
        })
        .into_udaf()
    }

    #[test]
    fn models_come_back_with_their_bits() {
        let one = GradientUdaf::new(vec![0.1, -0.0, 3.0e-39], f32::MAX).into_udaf();
        let mut buf = Vec::new();
        assert!(encode(&one, &mut buf));
        let back = decode(NAME, &buf).unwrap();
        let back = back.inner().downcast_ref::<GradientUdaf>().unwrap();
        assert_eq!(back, one.inner().downcast_ref::<GradientUdaf>().unwrap());

        let by = grouped();
        let mut buf = Vec::new();
        assert!(encode(&by, &mut buf));
        let back = decode(NAME_BY, &buf).unwrap();
        let back = back.inner().downcast_ref::<GroupedGradientUdaf>().unwrap();
        let want = by.inner().downcast_ref::<GroupedGradientUdaf>().unwrap();
        let bits = |m: &GroupModels| {
            let mut v: Vec<_> = m
                .by_key
                .iter()
                .map(|(k, (w, b))| {
                    (
                        *k,
                        w.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
                        b.to_bits(),
                    )
                })
                .collect();
            v.sort();
            (
                v,
                m.default.0.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
                m.default.1.to_bits(),
            )
        };
        assert_eq!(bits(back.models()), bits(want.models()));
    }

    #[test]
    fn the_moments_aggregate_is_its_tag() {
        let mut buf = Vec::new();
        assert!(encode(&MomentsUdaf::new().into_udaf(), &mut buf));
        assert_eq!(buf, [MOMENTS]);
        assert!(
            decode(NAME_MOMENTS, &buf)
                .unwrap()
                .inner()
                .is::<MomentsUdaf>()
        );
        assert!(decode(NAME_MOMENTS, &[MOMENTS, 0]).is_err());
    }

    #[test]
    fn other_aggregates_are_left_alone() {
        let count = datafusion::functions_aggregate::count::count_udaf();
        let mut buf = vec![9];
        assert!(!encode(&count, &mut buf));
        assert_eq!(buf, [9]);
    }

    #[test]
    fn every_truncation_and_extension_is_an_error() {
        for (name, udaf) in [
            (NAME, GradientUdaf::new(vec![1.0, 2.0], 3.0).into_udaf()),
            (NAME_BY, grouped()),
        ] {
            let mut buf = Vec::new();
            encode(&udaf, &mut buf);
            for cut in 0..buf.len() {
                let e = decode(name, &buf[..cut]).unwrap_err().to_string();
                assert!(e.contains("truncated"), "{cut}: {e}");
            }
            let mut longer = buf.clone();
            longer.push(0);
            assert!(
                decode(name, &longer)
                    .unwrap_err()
                    .to_string()
                    .contains("after the model")
            );
        }
        assert!(decode("count", &[1]).is_err());
        assert!(decode(NAME, &[BY_KEY]).is_err());
        // A key twice: a model that `encode` cannot write.
        let empty = [0u8, 0, 0, 0, 0, 0, 0, 0];
        let mut twice = vec![BY_KEY];
        twice.extend_from_slice(&empty);
        twice.extend_from_slice(&2u32.to_le_bytes());
        for _ in 0..2 {
            twice.extend_from_slice(&5i64.to_le_bytes());
            twice.extend_from_slice(&empty);
        }
        assert!(
            decode(NAME_BY, &twice)
                .unwrap_err()
                .to_string()
                .contains("key 5 encoded twice")
        );
        // A length far beyond the bytes present is refused before any allocation.
        assert!(decode(NAME, &[ONE, 255, 255, 255, 255]).is_err());
    }
}
