//! The aggregate `steepest_moments`: each feature's count, mean and `Σ (x − mean)²`, merged
//! in a fixed order, so that a fixed partitioning gives the same statistics every run.

use std::mem::size_of;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, ListArray};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Float32Type, Float64Type};
use datafusion::common::{Result, ScalarValue, exec_err, plan_err};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, Signature, Volatility,
};
use steepest::stats::Moments;

/// The name under which [`MomentsUdaf`] registers.
pub const NAME_MOMENTS: &str = "steepest_moments";

/// The aggregate `steepest_moments(x₀, …, x_{d−1})` of `Float32` columns: a list of `3·d`
/// values, each column's count, mean and `Σ (x − mean)²` in turn
/// ([`steepest::stats::Moments`], merged by Chan, Golub and LeVeque's formula). Partitions'
/// states are merged in the order of their bits, not of their arrival: unlike DataFusion's
/// `avg` and `var_pop`, a fixed partitioning gives the same bits every run. Nulls are an
/// error that names the column.
///
/// # Example
/// ```
/// use datafusion::prelude::*;
/// use steepest_datafusion::MomentsUdaf;
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> datafusion::error::Result<()> {
/// let ctx = SessionContext::new();
/// ctx.sql("CREATE TABLE t (x FLOAT) AS VALUES (1.0), (2.0), (3.0)").await?.collect().await?;
/// ctx.register_udaf(MomentsUdaf::new().into_udaf());
/// let out = ctx.sql("SELECT steepest_moments(x) FROM t").await?.collect().await?;
/// let m = out[0].column(0).as_any().downcast_ref::<datafusion::arrow::array::ListArray>().unwrap().value(0);
/// let m = m.as_any().downcast_ref::<datafusion::arrow::array::Float64Array>().unwrap();
/// assert_eq!(m.values().to_vec(), vec![3.0, 2.0, 2.0]);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MomentsUdaf {
    signature: Signature,
}

impl Default for MomentsUdaf {
    fn default() -> Self {
        MomentsUdaf::new()
    }
}

impl MomentsUdaf {
    /// The aggregate.
    ///
    /// # Example
    /// ```
    /// assert_eq!(steepest_datafusion::MomentsUdaf::new().into_udaf().name(), "steepest_moments");
    /// ```
    pub fn new() -> Self {
        MomentsUdaf {
            signature: Signature::variadic_any(Volatility::Immutable),
        }
    }

    /// As an [`AggregateUDF`].
    ///
    /// # Example
    /// ```
    /// let udaf = steepest_datafusion::MomentsUdaf::new().into_udaf();
    /// assert_eq!(udaf.name(), steepest_datafusion::NAME_MOMENTS);
    /// ```
    pub fn into_udaf(self) -> AggregateUDF {
        AggregateUDF::from(self)
    }
}

fn list_type() -> DataType {
    DataType::List(Arc::new(Field::new_list_field(DataType::Float64, true)))
}

impl AggregateUDFImpl for MomentsUdaf {
    fn name(&self) -> &str {
        NAME_MOMENTS
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        if arg_types.is_empty() {
            return plan_err!("{NAME_MOMENTS}: give at least one column");
        }
        if let Some(i) = arg_types.iter().position(|t| *t != DataType::Float32) {
            return plan_err!(
                "{NAME_MOMENTS}: argument {} is {}, not Float32: cast it explicitly (CAST(x AS FLOAT))",
                i + 1,
                arg_types[i]
            );
        }
        Ok(list_type())
    }

    fn is_nullable(&self) -> bool {
        false
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        let names: Vec<String> = args.expr_fields.iter().map(|f| f.name().clone()).collect();
        Ok(Box::new(MomentsAccumulator {
            own: vec![Moments::default(); names.len()],
            names,
            parts: Vec::new(),
        }))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        let name = format!("{}[moments]", args.name);
        Ok(vec![Arc::new(Field::new(name, list_type(), false))])
    }
}

/// One partition's moments, and the states merged into it.
#[derive(Debug)]
struct MomentsAccumulator {
    /// The input columns' names, for errors.
    names: Vec<String>,
    own: Vec<Moments>,
    /// Other accumulators' states, merged in the order of their bits when asked for.
    parts: Vec<Vec<Moments>>,
}

impl MomentsAccumulator {
    fn totals(&self) -> Vec<Moments> {
        let bits = |m: &&Vec<Moments>| -> Vec<u64> {
            m.iter()
                .flat_map(|m| [m.count, m.mean, m.m2].map(f64::to_bits))
                .collect()
        };
        let mut parts: Vec<&Vec<Moments>> = self.parts.iter().collect();
        parts.sort_by_cached_key(bits);
        let mut all = self.own.clone();
        for p in parts {
            for (a, m) in all.iter_mut().zip(p) {
                *a = a.merge(*m);
            }
        }
        all
    }

    fn list(&self) -> ListArray {
        let flat = self
            .totals()
            .into_iter()
            .flat_map(|m| [m.count, m.mean, m.m2].map(Some));
        ListArray::from_iter_primitive::<Float64Type, _, _>([Some(flat)])
    }
}

/// Moments from their `3·d` values, each column's count, mean and `M2` in turn (a trailing
/// partial triple is dropped).
pub(crate) fn unflatten(values: &[f64]) -> Vec<Moments> {
    values
        .as_chunks::<3>()
        .0
        .iter()
        .map(|&[count, mean, m2]| Moments { count, mean, m2 })
        .collect()
}

impl Accumulator for MomentsAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        for ((v, m), name) in values.iter().zip(&mut self.own).zip(&self.names) {
            if v.null_count() > 0 {
                return exec_err!(
                    "{NAME_MOMENTS}: column '{name}' has nulls: filter or fill them first"
                );
            }
            *m = m.merge(Moments::of(v.as_primitive::<Float32Type>().values()));
        }
        Ok(())
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        Ok(ScalarValue::List(Arc::new(self.list())))
    }

    fn size(&self) -> usize {
        size_of::<Self>()
            + (self.own.capacity() + self.parts.len() * self.own.len()) * size_of::<Moments>()
            + self.names.iter().map(String::capacity).sum::<usize>()
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(vec![ScalarValue::List(Arc::new(self.list()))])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let [lists] = states else {
            return exec_err!("{NAME_MOMENTS}: {} state columns, not 1", states.len());
        };
        let lists = lists.as_list::<i32>();
        for i in 0..lists.len() {
            let v = lists.value(i);
            let v = v.as_primitive::<Float64Type>().values();
            if v.len() != 3 * self.own.len() {
                return exec_err!(
                    "{NAME_MOMENTS}: a partial state of {} values, not {}",
                    v.len(),
                    3 * self.own.len()
                );
            }
            self.parts.push(unflatten(v));
        }
        Ok(())
    }
}
