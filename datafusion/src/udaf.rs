//! The aggregate `steepest_gradient`: one fused pass of the model `(w, b)` over its input.

use std::hash::{Hash, Hasher};
use std::mem::size_of;
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Float64Array, ListArray, StructArray, UInt64Array,
};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Fields, Float32Type, Float64Type};
use datafusion::common::{Result, ScalarValue, exec_err, plan_err};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, Signature, Volatility,
};
use steepest::kernels::simd;
use steepest::{ColSlices, RowMajor, Sums};

/// The name under which [`GradientUdaf`] registers.
pub const NAME: &str = "steepest_gradient";

/// The aggregate `steepest_gradient(x₀, …, x_{d−1}, y)` or `steepest_gradient(xs, y)` for the
/// model `(w, b)` it was made with: one fused pass (`steepest::kernels::simd`) over every batch
/// of its input, the batches' sums added up, partitions merged by addition.
///
/// Its input is `d` `Float32` feature columns and a `Float32` target (each batch read in
/// place as a [`ColSlices`] view), or one `FixedSizeList<Float32, d>` column of rows and the
/// target (a [`RowMajor`] view). Nulls are an error that names the column; so is a `Float64`
/// column: cast it with `CAST(x AS FLOAT)` (or `arrow_cast`) to say that f32 is meant.
///
/// It returns a struct `{rows: UInt64, loss: Float64, bias: Float64, gradient: List<Float64>}`:
/// `Σ rᵢ²`, `Σ rᵢ` and `Σ rᵢ·xᵢⱼ` with `rᵢ = xᵢ·w + b − yᵢ`, as
/// [`steepest::Sums`] and the gradient buffer of `simd::gradient` hold them.
///
/// # Example
/// ```
/// use datafusion::prelude::*;
/// use steepest_datafusion::GradientUdaf;
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> datafusion::error::Result<()> {
/// let ctx = SessionContext::new();
/// ctx.sql("CREATE TABLE t (x FLOAT, y FLOAT) AS VALUES (1.0, 2.0), (2.0, 4.0)").await?.collect().await?;
/// ctx.register_udaf(GradientUdaf::new(vec![0.0], 0.0).into_udaf());
/// let out = ctx.sql("SELECT steepest_gradient(x, y) AS g FROM t").await?.collect().await?;
/// let (sums, grad) = steepest_datafusion::sums_of(&out)?;
/// assert_eq!((sums.rows, sums.loss, sums.bias, grad), (2, 20.0, -6.0, vec![-10.0]));
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct GradientUdaf {
    w: Arc<[f32]>,
    b: f32,
    signature: Signature,
}

impl GradientUdaf {
    /// The aggregate for the model `(w, b)`: `d = w.len()` features.
    ///
    /// # Example
    /// ```
    /// let udaf = steepest_datafusion::GradientUdaf::new(vec![0.5, -1.0], 0.25);
    /// assert_eq!(udaf.d(), 2);
    /// ```
    pub fn new(w: Vec<f32>, b: f32) -> Self {
        GradientUdaf {
            w: w.into(),
            b,
            signature: Signature::variadic_any(Volatility::Immutable),
        }
    }

    /// The number of features.
    ///
    /// # Example
    /// ```
    /// assert_eq!(steepest_datafusion::GradientUdaf::new(vec![0.0; 3], 0.0).d(), 3);
    /// ```
    pub fn d(&self) -> usize {
        self.w.len()
    }

    /// The model `(w, b)` the sums are taken at.
    ///
    /// # Example
    /// ```
    /// let udaf = steepest_datafusion::GradientUdaf::new(vec![0.5], 2.0);
    /// assert_eq!(udaf.model(), (&[0.5][..], 2.0));
    /// ```
    pub fn model(&self) -> (&[f32], f32) {
        (&self.w, self.b)
    }

    /// As an [`AggregateUDF`], to register (`SessionContext::register_udaf`) or call
    /// (`AggregateUDF::call`).
    ///
    /// # Example
    /// ```
    /// let udaf = steepest_datafusion::GradientUdaf::new(vec![0.0], 0.0).into_udaf();
    /// assert_eq!(udaf.name(), "steepest_gradient");
    /// ```
    pub fn into_udaf(self) -> AggregateUDF {
        AggregateUDF::from(self)
    }
}

impl PartialEq for GradientUdaf {
    fn eq(&self, other: &Self) -> bool {
        self.b.to_bits() == other.b.to_bits()
            && self.w.len() == other.w.len()
            && self
                .w
                .iter()
                .zip(other.w.iter())
                .all(|(a, b)| a.to_bits() == b.to_bits())
    }
}

impl Eq for GradientUdaf {}

impl Hash for GradientUdaf {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.b.to_bits().hash(state);
        for v in self.w.iter() {
            v.to_bits().hash(state);
        }
    }
}

/// The type of the aggregate's result.
pub fn result_type() -> DataType {
    DataType::Struct(result_fields())
}

fn gradient_type() -> DataType {
    DataType::List(Arc::new(Field::new_list_field(DataType::Float64, true)))
}

pub(crate) fn result_fields() -> Fields {
    Fields::from(vec![
        Field::new("rows", DataType::UInt64, false),
        Field::new("loss", DataType::Float64, false),
        Field::new("bias", DataType::Float64, false),
        Field::new("gradient", gradient_type(), false),
    ])
}

/// The input's layout, found from the argument types.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Layout {
    /// `d` Float32 columns, then y.
    Columns,
    /// One FixedSizeList<Float32, d> column, then y.
    Rows,
}

fn layout(d: usize, types: &[DataType]) -> Result<Layout> {
    let float32 = |t: &DataType| matches!(t, DataType::Float32);
    match types {
        [DataType::FixedSizeList(item, len), y] if float32(y) => {
            if !float32(item.data_type()) {
                return plan_err!(
                    "{NAME}: the rows column holds {}, not Float32 (cast it explicitly)",
                    item.data_type()
                );
            }
            if usize::try_from(*len).ok() != Some(d) {
                return plan_err!("{NAME}: rows of {len} values for a model of {d} features");
            }
            Ok(Layout::Rows)
        }
        _ if types.len() != d + 1 => plan_err!(
            "{NAME}: {} arguments for a model of {d} features: give {d} feature columns and the target",
            types.len()
        ),
        _ => match types.iter().position(|t| !float32(t)) {
            Some(i) => plan_err!(
                "{NAME}: argument {} is {}, not Float32: cast it explicitly (CAST(x AS FLOAT))",
                i + 1,
                types[i]
            ),
            None => Ok(Layout::Columns),
        },
    }
}

impl AggregateUDFImpl for GradientUdaf {
    fn name(&self) -> &str {
        NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        layout(self.d(), arg_types)?;
        Ok(result_type())
    }

    fn is_nullable(&self) -> bool {
        false
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        let types: Vec<DataType> = args
            .expr_fields
            .iter()
            .map(|f| f.data_type().clone())
            .collect();
        let names = args.expr_fields.iter().map(|f| f.name().clone()).collect();
        Ok(Box::new(GradientAccumulator {
            layout: layout(self.d(), &types)?,
            names,
            w: self.w.clone(),
            b: self.b,
            grad: vec![0.0; self.d()],
            sums: Sums::default(),
            parts: Vec::new(),
        }))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        let name = |s: &str| format!("{}[{s}]", args.name);
        Ok(vec![
            Arc::new(Field::new(name("rows"), DataType::UInt64, false)),
            Arc::new(Field::new(name("loss"), DataType::Float64, false)),
            Arc::new(Field::new(name("bias"), DataType::Float64, false)),
            Arc::new(Field::new(name("gradient"), gradient_type(), false)),
        ])
    }
}

/// One partition's (or group's) running sums.
#[derive(Debug)]
struct GradientAccumulator {
    layout: Layout,
    /// The input columns' names, for errors.
    names: Vec<String>,
    w: Arc<[f32]>,
    b: f32,
    grad: Vec<f64>,
    sums: Sums,
    /// Other accumulators' states, as merged: added in a fixed order (sorted by their bits)
    /// when the result or the state is asked for, so that the order in which partitions
    /// finish does not change the result.
    parts: Vec<(Sums, Vec<f64>)>,
}

impl GradientAccumulator {
    /// This accumulator's own sums plus every merged state, in the order of their bits.
    fn totals(&self) -> (Sums, Vec<f64>) {
        add_in_order(self.sums, &self.grad, &self.parts)
    }

    fn no_nulls(&self, values: &[ArrayRef]) -> Result<()> {
        for (i, v) in values.iter().enumerate() {
            let nested = match v.as_fixed_size_list_opt() {
                Some(l) => l.values().null_count(),
                None => 0,
            };
            if v.null_count() > 0 || nested > 0 {
                let name = self.names.get(i).map_or("?", String::as_str);
                return exec_err!("{NAME}: column '{name}' has nulls: filter or fill them first");
            }
        }
        Ok(())
    }
}

fn to_df(e: steepest::Error) -> datafusion::error::DataFusionError {
    datafusion::error::DataFusionError::Execution(format!("{NAME}: {e}"))
}

impl Accumulator for GradientAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let n = values.first().map_or(0, |v| v.len());
        if n == 0 {
            return Ok(());
        }
        self.no_nulls(values)?;
        let Some((y, xs)) = values.split_last() else {
            return Ok(());
        };
        let y = y.as_primitive::<Float32Type>().values();
        match self.layout {
            Layout::Columns => {
                let cols: Vec<&[f32]> = xs
                    .iter()
                    .map(|c| &c.as_primitive::<Float32Type>().values()[..])
                    .collect();
                let view = ColSlices::new(&cols, y).map_err(to_df)?;
                simd::add_col_slices(&view, &self.w, self.b, &mut self.grad, &mut self.sums)
                    .map_err(to_df)
            }
            Layout::Rows => {
                let d = self.w.len();
                let Some(list) = xs.first().and_then(|a| a.as_fixed_size_list_opt()) else {
                    return exec_err!("{NAME}: the rows column is not a FixedSizeList");
                };
                let start = usize::try_from(list.value_offset(0)).unwrap_or(0);
                let child = list.values().as_primitive::<Float32Type>().values();
                let Some(x) = child.get(start..start + n * d) else {
                    return exec_err!("{NAME}: the rows column is shorter than its rows");
                };
                let view = RowMajor::new(x, y, n, d).map_err(to_df)?;
                // Each batch's own pass, added in: the batches' sums, not one pass's runs.
                let mut g = vec![0.0; d];
                let s = simd::gradient(&view.into(), &self.w, self.b, &mut g).map_err(to_df)?;
                self.sums = self.sums.merge(s);
                for (t, v) in self.grad.iter_mut().zip(&g) {
                    *t += v;
                }
                Ok(())
            }
        }
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        let (sums, grad) = self.totals();
        if !(sums.loss.is_finite() && grad.iter().all(|g| g.is_finite())) {
            return exec_err!(
                "{NAME}: the sums are not finite: the data hold NaN or infinity, or the model overflows"
            );
        }
        let arrays: Vec<ArrayRef> = vec![
            Arc::new(UInt64Array::from(vec![sums.rows as u64])),
            Arc::new(Float64Array::from(vec![sums.loss])),
            Arc::new(Float64Array::from(vec![sums.bias])),
            Arc::new(gradient_list(&grad)),
        ];
        let array = StructArray::try_new(result_fields(), arrays, None)?;
        Ok(ScalarValue::Struct(Arc::new(array)))
    }

    fn size(&self) -> usize {
        size_of::<Self>()
            + (self.grad.capacity() + self.parts.len() * self.grad.len()) * size_of::<f64>()
            + self.parts.capacity() * size_of::<(Sums, Vec<f64>)>()
            + self.names.iter().map(String::capacity).sum::<usize>()
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let (sums, grad) = self.totals();
        Ok(vec![
            ScalarValue::UInt64(Some(sums.rows as u64)),
            ScalarValue::Float64(Some(sums.loss)),
            ScalarValue::Float64(Some(sums.bias)),
            ScalarValue::List(Arc::new(gradient_list(&grad))),
        ])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let [rows, loss, bias, grad] = states else {
            return exec_err!("{NAME}: {} state columns, not 4", states.len());
        };
        let rows = rows.as_primitive::<datafusion::arrow::datatypes::UInt64Type>();
        let (loss, bias) = (
            loss.as_primitive::<Float64Type>(),
            bias.as_primitive::<Float64Type>(),
        );
        let grad = grad.as_list::<i32>();
        for i in 0..rows.len() {
            let g = grad.value(i);
            let g = g.as_primitive::<Float64Type>().values();
            if g.len() != self.grad.len() {
                return exec_err!(
                    "{NAME}: a partial state of {} features, not {}",
                    g.len(),
                    self.grad.len()
                );
            }
            let part = Sums {
                rows: usize::try_from(rows.value(i)).unwrap_or(usize::MAX),
                loss: loss.value(i),
                bias: bias.value(i),
            };
            self.parts.push((part, g.to_vec()));
        }
        Ok(())
    }
}

/// `sums` and `grad` plus every state of `parts`, added in the order of their bits (not of
/// their arrival), so that a fixed partitioning gives the same result every run.
pub(crate) fn add_in_order(
    sums: Sums,
    grad: &[f64],
    parts: &[(Sums, Vec<f64>)],
) -> (Sums, Vec<f64>) {
    let key = |(s, g): &&(Sums, Vec<f64>)| {
        let head = [s.rows as u64, s.loss.to_bits(), s.bias.to_bits()];
        head.into_iter()
            .chain(g.iter().map(|v| v.to_bits()))
            .collect::<Vec<u64>>()
    };
    let mut parts: Vec<&(Sums, Vec<f64>)> = parts.iter().collect();
    parts.sort_by_cached_key(key);
    let (mut sums, mut grad) = (sums, grad.to_vec());
    for (s, g) in parts {
        sums = sums.merge(*s);
        for (t, v) in grad.iter_mut().zip(g) {
            *t += v;
        }
    }
    (sums, grad)
}

/// A one-element list of the gradient sums.
fn gradient_list(grad: &[f64]) -> ListArray {
    ListArray::from_iter_primitive::<Float64Type, _, _>([Some(grad.iter().map(|&g| Some(g)))])
}
