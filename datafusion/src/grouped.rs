//! One model per group: `steepest_gradient_by(key, x₀, …, x_{d−1}, y)` with `GROUP BY key`,
//! each group's pass at its own model, all groups in the same query.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::mem::size_of;
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Float64Array, ListArray, StructArray, UInt64Array,
};
use datafusion::arrow::datatypes::{DataType, FieldRef, Float32Type, Float64Type, Int64Type};
use datafusion::common::{Result, exec_err, plan_err};
use datafusion::dataframe::DataFrame;
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, EmitTo, GroupsAccumulator, Signature, Volatility,
};
use datafusion::prelude::{Expr, ident};
use steepest::kernels::simd;
use steepest::{ColSlices, GradientDescent, Sums};

use crate::udaf::{add_in_order, result_fields, result_type};

/// The name under which [`GroupedGradientUdaf`] registers.
pub const NAME_BY: &str = "steepest_gradient_by";

/// A model `(w, b)` per key, and the one for keys without their own.
#[derive(Debug, Clone, Default)]
pub struct GroupModels {
    /// The models by key.
    pub by_key: HashMap<i64, (Vec<f32>, f32)>,
    /// The model of every other key (the start of a fit: zeros).
    pub default: (Vec<f32>, f32),
}

/// The aggregate `steepest_gradient_by(key, x₀, …, x_{d−1}, y)`: with `GROUP BY key`, each
/// group's sums at that key's model from [`GroupModels`], as `steepest_gradient` gives them for
/// one model (a `GroupsAccumulator`: the rows of each group in a batch are gathered and passed
/// to the fused kernel together). `key` is `Int64`, the rest `Float32`; nulls are an error.
///
/// # Example
/// ```
/// use datafusion::prelude::*;
/// use steepest_datafusion::{GroupModels, GroupedGradientUdaf};
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> datafusion::error::Result<()> {
/// let ctx = SessionContext::new();
/// ctx.sql("CREATE TABLE t (k BIGINT, x FLOAT, y FLOAT) AS VALUES (1, 1.0, 2.0), (2, 1.0, 3.0)")
///     .await?.collect().await?;
/// let mut models = GroupModels { default: (vec![0.0], 0.0), ..Default::default() };
/// models.by_key.insert(2, (vec![3.0], 0.0));
/// ctx.register_udaf(GroupedGradientUdaf::new(models).into_udaf());
/// let sql = "SELECT k, get_field(steepest_gradient_by(k, x, y), 'loss') AS loss FROM t GROUP BY k ORDER BY k";
/// let out = ctx.sql(sql).await?.collect().await?;
/// let loss = out[0].column(1).as_any().downcast_ref::<datafusion::arrow::array::Float64Array>().unwrap();
/// assert_eq!((loss.value(0), loss.value(1)), (4.0, 0.0)); // (0 − 2)², (3 − 3)²
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct GroupedGradientUdaf {
    models: Arc<GroupModels>,
    signature: Signature,
}

impl GroupedGradientUdaf {
    /// The aggregate for these models; `d` is the default model's length.
    ///
    /// # Example
    /// ```
    /// use steepest_datafusion::{GroupModels, GroupedGradientUdaf};
    /// let udaf = GroupedGradientUdaf::new(GroupModels { default: (vec![0.0; 2], 0.0), ..Default::default() });
    /// assert_eq!(udaf.d(), 2);
    /// ```
    pub fn new(models: GroupModels) -> Self {
        GroupedGradientUdaf {
            models: Arc::new(models),
            signature: Signature::variadic_any(Volatility::Immutable),
        }
    }

    /// The number of features.
    ///
    /// # Example
    /// ```
    /// use steepest_datafusion::{GroupModels, GroupedGradientUdaf};
    /// assert_eq!(GroupedGradientUdaf::new(GroupModels::default()).d(), 0);
    /// ```
    pub fn d(&self) -> usize {
        self.models.default.0.len()
    }

    /// The models the sums are taken at.
    ///
    /// # Example
    /// ```
    /// use steepest_datafusion::{GroupModels, GroupedGradientUdaf};
    /// let udaf = GroupedGradientUdaf::new(GroupModels { default: (vec![1.0], 0.0), ..Default::default() });
    /// assert_eq!(udaf.models().default, (vec![1.0], 0.0));
    /// ```
    pub fn models(&self) -> &GroupModels {
        &self.models
    }

    /// As an [`AggregateUDF`].
    ///
    /// # Example
    /// ```
    /// use steepest_datafusion::{GroupModels, GroupedGradientUdaf};
    /// let udaf = GroupedGradientUdaf::new(GroupModels::default()).into_udaf();
    /// assert_eq!(udaf.name(), "steepest_gradient_by");
    /// ```
    pub fn into_udaf(self) -> AggregateUDF {
        AggregateUDF::from(self)
    }

    fn check(&self, types: &[DataType]) -> Result<()> {
        let d = self.d();
        if types.len() != d + 2 {
            return plan_err!(
                "{NAME_BY}: {} arguments for a model of {d} features: give the key, {d} feature columns and the target",
                types.len()
            );
        }
        if types.first() != Some(&DataType::Int64) {
            return plan_err!(
                "{NAME_BY}: the key is {}, not Int64 (cast it explicitly)",
                types[0]
            );
        }
        match types.iter().skip(1).position(|t| *t != DataType::Float32) {
            Some(i) => plan_err!(
                "{NAME_BY}: argument {} is {}, not Float32: cast it explicitly (CAST(x AS FLOAT))",
                i + 2,
                types[i + 1]
            ),
            None => Ok(()),
        }
    }
}

impl PartialEq for GroupedGradientUdaf {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.models, &other.models)
    }
}

impl Eq for GroupedGradientUdaf {}

impl Hash for GroupedGradientUdaf {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (Arc::as_ptr(&self.models) as usize).hash(state);
    }
}

impl AggregateUDFImpl for GroupedGradientUdaf {
    fn name(&self) -> &str {
        NAME_BY
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        self.check(arg_types)?;
        Ok(result_type())
    }

    fn is_nullable(&self) -> bool {
        false
    }

    fn accumulator(&self, _args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        // Only ever grouped: without GROUP BY there is no key to choose a model by.
        datafusion::common::not_impl_err!("{NAME_BY} needs GROUP BY its key")
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        let name = |s: &str| format!("{}[{s}]", args.name);
        Ok(result_fields()
            .iter()
            .map(|f| Arc::new(f.as_ref().clone().with_name(name(f.name()))))
            .collect())
    }

    fn groups_accumulator_supported(&self, _args: AccumulatorArgs) -> bool {
        true
    }

    fn create_groups_accumulator(
        &self,
        args: AccumulatorArgs,
    ) -> Result<Box<dyn GroupsAccumulator>> {
        let names = args.expr_fields.iter().map(|f| f.name().clone()).collect();
        Ok(Box::new(Groups {
            models: self.models.clone(),
            d: self.d(),
            names,
            groups: Vec::new(),
        }))
    }
}

/// One group's model and running sums.
#[derive(Debug, Default, Clone)]
struct Group {
    model: Option<(Vec<f32>, f32)>,
    sums: Sums,
    grad: Vec<f64>,
    /// Merged states, added in the order of their bits when the result is asked for.
    parts: Vec<(Sums, Vec<f64>)>,
}

impl Group {
    fn totals(&self, d: usize) -> (Sums, Vec<f64>) {
        let mut grad = self.grad.clone();
        grad.resize(d, 0.0);
        add_in_order(self.sums, &grad, &self.parts)
    }
}

#[derive(Debug)]
struct Groups {
    models: Arc<GroupModels>,
    d: usize,
    names: Vec<String>,
    groups: Vec<Group>,
}

impl Groups {
    fn no_nulls(&self, values: &[ArrayRef]) -> Result<()> {
        for (i, v) in values.iter().enumerate() {
            if v.null_count() > 0 {
                let name = self.names.get(i).map_or("?", String::as_str);
                return exec_err!(
                    "{NAME_BY}: column '{name}' has nulls: filter or fill them first"
                );
            }
        }
        Ok(())
    }

    /// The key, feature and target columns of the arguments, checked for nulls.
    #[allow(clippy::type_complexity)]
    fn args<'v>(
        &self,
        values: &'v [ArrayRef],
    ) -> Result<Option<(&'v [i64], Vec<&'v [f32]>, &'v [f32])>> {
        self.no_nulls(values)?;
        let Some((key, rest)) = values.split_first() else {
            return Ok(None);
        };
        let Some((y, xs)) = rest.split_last() else {
            return Ok(None);
        };
        let xs = xs
            .iter()
            .map(|c| &c.as_primitive::<Float32Type>().values()[..])
            .collect();
        let key = &key.as_primitive::<Int64Type>().values()[..];
        Ok(Some((
            key,
            xs,
            &y.as_primitive::<Float32Type>().values()[..],
        )))
    }

    fn model(&self, key: i64) -> (Vec<f32>, f32) {
        self.models
            .by_key
            .get(&key)
            .cloned()
            .unwrap_or_else(|| self.models.default.clone())
    }

    /// The emitted groups' totals.
    fn take(&mut self, emit_to: EmitTo) -> Vec<(Sums, Vec<f64>)> {
        let d = self.d;
        emit_to
            .take_needed(&mut self.groups)
            .iter()
            .map(|g| g.totals(d))
            .collect()
    }
}

fn arrays(totals: &[(Sums, Vec<f64>)]) -> Vec<ArrayRef> {
    let rows: UInt64Array = totals.iter().map(|(s, _)| s.rows as u64).collect();
    let loss: Float64Array = totals.iter().map(|(s, _)| s.loss).collect();
    let bias: Float64Array = totals.iter().map(|(s, _)| s.bias).collect();
    let grad = ListArray::from_iter_primitive::<Float64Type, _, _>(
        totals.iter().map(|(_, g)| Some(g.iter().map(|&v| Some(v)))),
    );
    vec![
        Arc::new(rows),
        Arc::new(loss),
        Arc::new(bias),
        Arc::new(grad),
    ]
}

fn kernel_err(e: steepest::Error) -> datafusion::error::DataFusionError {
    datafusion::error::DataFusionError::Execution(format!("{NAME_BY}: {e}"))
}

impl GroupsAccumulator for Groups {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        self.groups.resize_with(total_num_groups, Group::default);
        let Some((key, xs, y)) = self.args(values)? else {
            return Ok(());
        };
        // The rows of each group, in row order (a counting sort by group).
        let keep = |i: usize| opt_filter.is_none_or(|f| f.is_valid(i) && f.value(i));
        let mut count = vec![0usize; total_num_groups + 1];
        for (i, &g) in group_indices.iter().enumerate() {
            if keep(i) {
                count[g + 1] += 1;
            }
        }
        for g in 0..total_num_groups {
            count[g + 1] += count[g];
        }
        let mut order = vec![0usize; count[total_num_groups]];
        let mut next = count.clone();
        for (i, &g) in group_indices.iter().enumerate() {
            if keep(i) {
                order[next[g]] = i;
                next[g] += 1;
            }
        }
        // Each group's rows gathered column by column, then one pass into its running sums.
        let d = self.d;
        let mut cols = vec![0.0f32; d * group_indices.len().max(1)];
        let mut ys = vec![0.0f32; group_indices.len().max(1)];
        for g in 0..total_num_groups {
            let rows = &order[count[g]..count[g + 1]];
            let Some(&first) = rows.first() else {
                continue;
            };
            let k = rows.len();
            for (j, x) in xs.iter().enumerate() {
                for (t, &i) in cols[j * k..(j + 1) * k].iter_mut().zip(rows) {
                    *t = x[i];
                }
            }
            for (t, &i) in ys[..k].iter_mut().zip(rows) {
                *t = y[i];
            }
            let model = match &self.groups[g].model {
                Some(m) => m.clone(),
                None => self.model(key[first]),
            };
            let group = &mut self.groups[g];
            let (w, b) = group.model.get_or_insert(model);
            group.grad.resize(d, 0.0);
            let slices: Vec<&[f32]> = cols[..d * k].chunks(k).collect();
            let view = ColSlices::new(&slices, &ys[..k]).map_err(kernel_err)?;
            simd::add_col_slices(&view, w, *b, &mut group.grad, &mut group.sums)
                .map_err(kernel_err)?;
        }
        Ok(())
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        let totals = self.take(emit_to);
        if let Some((s, _)) = totals
            .iter()
            .find(|(s, g)| !(s.loss.is_finite() && g.iter().all(|v| v.is_finite())))
        {
            return exec_err!(
                "{NAME_BY}: a group's sums are not finite ({} rows): NaN or infinity in its data, or its model overflows",
                s.rows
            );
        }
        Ok(Arc::new(StructArray::try_new(
            result_fields(),
            arrays(&totals),
            None,
        )?))
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        Ok(arrays(&self.take(emit_to)))
    }

    fn merge_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<()> {
        self.groups.resize_with(total_num_groups, Group::default);
        let [rows, loss, bias, grad] = values else {
            return exec_err!("{NAME_BY}: {} state columns, not 4", values.len());
        };
        let rows = rows.as_primitive::<datafusion::arrow::datatypes::UInt64Type>();
        let (loss, bias) = (
            loss.as_primitive::<Float64Type>(),
            bias.as_primitive::<Float64Type>(),
        );
        let grad = grad.as_list::<i32>();
        for (i, &g) in group_indices.iter().enumerate() {
            let gv = grad.value(i);
            let gv = gv.as_primitive::<Float64Type>().values().to_vec();
            let part = Sums {
                rows: usize::try_from(rows.value(i)).unwrap_or(usize::MAX),
                loss: loss.value(i),
                bias: bias.value(i),
            };
            self.groups[g].parts.push((part, gv));
        }
        Ok(())
    }

    fn convert_to_state(
        &self,
        values: &[ArrayRef],
        opt_filter: Option<&BooleanArray>,
    ) -> Result<Vec<ArrayRef>> {
        // Each row its own state: its pass alone (a filtered-out row, empty sums).
        let Some((key, xs, y)) = self.args(values)? else {
            return Ok(arrays(&[]));
        };
        let mut totals = Vec::with_capacity(y.len());
        for i in 0..y.len() {
            let kept = opt_filter.is_none_or(|f| f.is_valid(i) && f.value(i));
            if !kept {
                totals.push((Sums::default(), vec![0.0; self.d]));
                continue;
            }
            let (w, b) = self.model(key[i]);
            let row: Vec<&[f32]> = xs.iter().map(|c| &c[i..i + 1]).collect();
            let view = ColSlices::new(&row, &y[i..i + 1]).map_err(kernel_err)?;
            let mut g = vec![0.0; self.d];
            let s = simd::gradient_col_slices(&view, &w, b, &mut g).map_err(kernel_err)?;
            totals.push((s, g));
        }
        Ok(arrays(&totals))
    }

    fn size(&self) -> usize {
        size_of::<Self>()
            + self
                .groups
                .iter()
                .map(|g| {
                    size_of::<Group>()
                        + (g.grad.capacity() + g.parts.len() * self.d) * size_of::<f64>()
                        + g.model
                            .as_ref()
                            .map_or(0, |(w, _)| w.capacity() * size_of::<f32>())
                })
                .sum::<usize>()
    }
}

/// Gradient descent for one model per key, all groups in one aggregate query per epoch:
/// `gd.max_epochs` epochs of [`GradientDescent::step`] for every group, each with its own
/// rows. Returns the model of every key seen. (`gd.tolerance` is not used: every group runs
/// every epoch.)
///
/// # Errors
/// The queries' errors; a group whose step fails (divergence, a bad rate), named by its key.
///
/// # Example
/// ```
/// use datafusion::prelude::*;
/// use steepest::GradientDescent;
/// use steepest_datafusion::fit_groups;
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> datafusion::error::Result<()> {
/// let ctx = SessionContext::new();
/// let df = ctx.sql("SELECT CAST(column1 AS BIGINT) AS k, CAST(column2 AS FLOAT) AS x, \
///                   CAST(column1 * column2 AS FLOAT) AS y \
///                   FROM (VALUES (1, 1), (1, 2), (2, 1), (2, 2))").await?;  // y = k·x
/// let gd = GradientDescent { learning_rate: 0.2, max_epochs: 2000, tolerance: None };
/// let models = fit_groups(&df, "k", &["x"], "y", &gd).await?;
/// assert!((models[&2].0[0] - 2.0).abs() < 1e-3, "{models:?}");
/// # Ok(())
/// # }
/// ```
pub async fn fit_groups(
    df: &DataFrame,
    key: &str,
    features: &[&str],
    target: &str,
    gd: &GradientDescent,
) -> Result<HashMap<i64, (Vec<f32>, f32)>> {
    let d = features.len();
    let mut models = GroupModels {
        by_key: HashMap::new(),
        default: (vec![0.0; d], 0.0),
    };
    let mut args: Vec<Expr> = vec![ident(key)];
    args.extend(features.iter().map(|f| ident(*f)));
    args.push(ident(target));
    for _ in 0..gd.max_epochs {
        let udaf = GroupedGradientUdaf::new(models.clone()).into_udaf();
        let expr = udaf.call(args.clone()).alias("g");
        let batches = df
            .clone()
            .aggregate(vec![ident(key)], vec![expr])?
            .collect()
            .await?;
        for batch in &batches {
            let keys = batch.column(0).as_primitive::<Int64Type>();
            let s = batch.column(1).as_struct();
            let rows = s
                .column(0)
                .as_primitive::<datafusion::arrow::datatypes::UInt64Type>();
            let (loss, bias) = (
                s.column(1).as_primitive::<Float64Type>(),
                s.column(2).as_primitive::<Float64Type>(),
            );
            let grads = s.column(3).as_list::<i32>();
            for i in 0..batch.num_rows() {
                let k = keys.value(i);
                let sums = Sums {
                    rows: usize::try_from(rows.value(i)).unwrap_or(usize::MAX),
                    loss: loss.value(i),
                    bias: bias.value(i),
                };
                let g = grads.value(i);
                let g = g.as_primitive::<Float64Type>().values();
                let (w, b) = models
                    .by_key
                    .entry(k)
                    .or_insert_with(|| (vec![0.0; d], 0.0));
                if let Err(e) = gd.step(&sums, g, w, b) {
                    return exec_err!("{NAME_BY}: key {k}: {e}");
                }
            }
        }
    }
    Ok(models.by_key)
}
