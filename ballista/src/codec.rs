//! Ballista's plan codecs with the steepest aggregates' models added.
//!
//! A plan crosses the cluster twice: the client sends the logical plan to the scheduler, and
//! the scheduler sends each stage's physical plan to the executors. The aggregates carry their
//! model `(w, b)` (one per key for `steepest_gradient_by`), which is not in the plan's
//! protobuf: these codecs write it beside the aggregate's name with
//! [`steepest_datafusion::wire`] and build the same aggregate on the other side. Every other
//! node goes to Ballista's own codecs unchanged.

use std::sync::Arc;

use ballista_core::serde::{BallistaLogicalExtensionCodec, BallistaPhysicalExtensionCodec};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::TableProvider;
use datafusion::common::{Result, TableReference};
use datafusion::datasource::file_format::FileFormatFactory;
use datafusion::execution::TaskContext;
use datafusion::logical_expr::{AggregateUDF, Extension, LogicalPlan};
use datafusion::physical_plan::ExecutionPlan;
use datafusion_proto::logical_plan::LogicalExtensionCodec;
use datafusion_proto::physical_plan::{PhysicalExtensionCodec, PhysicalProtoConverterExtension};
use steepest_datafusion::wire;

/// The logical codec: Ballista's, and the steepest aggregates' models.
///
/// # Example
/// ```
/// use datafusion_proto::logical_plan::LogicalExtensionCodec;
/// use steepest_ballista::LogicalCodec;
/// use steepest_datafusion::GradientUdaf;
/// let udaf = GradientUdaf::new(vec![0.5], 1.0).into_udaf();
/// let mut buf = Vec::new();
/// LogicalCodec::default().try_encode_udaf(&udaf, &mut buf)?;
/// let back = LogicalCodec::default().try_decode_udaf(udaf.name(), &buf)?;
/// assert_eq!(back.inner().downcast_ref::<GradientUdaf>().unwrap().model(), (&[0.5][..], 1.0));
/// # Ok::<(), datafusion::error::DataFusionError>(())
/// ```
#[derive(Debug, Default)]
pub struct LogicalCodec {
    ballista: BallistaLogicalExtensionCodec,
}

impl LogicalExtensionCodec for LogicalCodec {
    fn try_decode(
        &self,
        buf: &[u8],
        inputs: &[LogicalPlan],
        ctx: &TaskContext,
    ) -> Result<Extension> {
        self.ballista.try_decode(buf, inputs, ctx)
    }

    fn try_encode(&self, node: &Extension, buf: &mut Vec<u8>) -> Result<()> {
        self.ballista.try_encode(node, buf)
    }

    fn try_decode_table_provider(
        &self,
        buf: &[u8],
        table_ref: &TableReference,
        schema: SchemaRef,
        ctx: &TaskContext,
    ) -> Result<Arc<dyn TableProvider>> {
        self.ballista
            .try_decode_table_provider(buf, table_ref, schema, ctx)
    }

    fn try_encode_table_provider(
        &self,
        table_ref: &TableReference,
        node: Arc<dyn TableProvider>,
        buf: &mut Vec<u8>,
    ) -> Result<()> {
        self.ballista
            .try_encode_table_provider(table_ref, node, buf)
    }

    fn try_decode_file_format(
        &self,
        buf: &[u8],
        ctx: &TaskContext,
    ) -> Result<Arc<dyn FileFormatFactory>> {
        self.ballista.try_decode_file_format(buf, ctx)
    }

    fn try_encode_file_format(
        &self,
        buf: &mut Vec<u8>,
        node: Arc<dyn FileFormatFactory>,
    ) -> Result<()> {
        self.ballista.try_encode_file_format(buf, node)
    }

    fn try_decode_udaf(&self, name: &str, buf: &[u8]) -> Result<Arc<AggregateUDF>> {
        decode_udaf(name, buf, |name, buf| {
            self.ballista.try_decode_udaf(name, buf)
        })
    }

    fn try_encode_udaf(&self, node: &AggregateUDF, buf: &mut Vec<u8>) -> Result<()> {
        encode_udaf(node, buf, |node, buf| {
            self.ballista.try_encode_udaf(node, buf)
        })
    }
}

/// The physical codec: Ballista's, and the steepest aggregates' models.
///
/// # Example
/// ```
/// use datafusion_proto::physical_plan::PhysicalExtensionCodec;
/// use steepest_ballista::PhysicalCodec;
/// use steepest_datafusion::{GroupModels, GroupedGradientUdaf};
/// let models = GroupModels { default: (vec![0.0, 1.0], 0.5), ..Default::default() };
/// let udaf = GroupedGradientUdaf::new(models).into_udaf();
/// let mut buf = Vec::new();
/// PhysicalCodec::default().try_encode_udaf(&udaf, &mut buf)?;
/// let back = PhysicalCodec::default().try_decode_udaf(udaf.name(), &buf)?;
/// let back = back.inner().downcast_ref::<GroupedGradientUdaf>().unwrap();
/// assert_eq!(back.models().default, (vec![0.0, 1.0], 0.5));
/// # Ok::<(), datafusion::error::DataFusionError>(())
/// ```
#[derive(Debug, Default)]
pub struct PhysicalCodec {
    ballista: BallistaPhysicalExtensionCodec,
}

impl PhysicalExtensionCodec for PhysicalCodec {
    fn try_decode(
        &self,
        buf: &[u8],
        inputs: &[Arc<dyn ExecutionPlan>],
        ctx: &TaskContext,
        proto_converter: &dyn PhysicalProtoConverterExtension,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        self.ballista.try_decode(buf, inputs, ctx, proto_converter)
    }

    fn try_encode(
        &self,
        node: Arc<dyn ExecutionPlan>,
        buf: &mut Vec<u8>,
        proto_converter: &dyn PhysicalProtoConverterExtension,
    ) -> Result<()> {
        self.ballista.try_encode(node, buf, proto_converter)
    }

    fn try_decode_udaf(&self, name: &str, buf: &[u8]) -> Result<Arc<AggregateUDF>> {
        decode_udaf(name, buf, |name, buf| {
            self.ballista.try_decode_udaf(name, buf)
        })
    }

    fn try_encode_udaf(&self, node: &AggregateUDF, buf: &mut Vec<u8>) -> Result<()> {
        encode_udaf(node, buf, |node, buf| {
            self.ballista.try_encode_udaf(node, buf)
        })
    }
}

/// A steepest aggregate's model into `buf`; any other aggregate goes to Ballista's codec.
fn encode_udaf(
    node: &AggregateUDF,
    buf: &mut Vec<u8>,
    otherwise: impl FnOnce(&AggregateUDF, &mut Vec<u8>) -> Result<()>,
) -> Result<()> {
    if wire::encode(node, buf) {
        Ok(())
    } else {
        otherwise(node, buf)
    }
}

/// A steepest aggregate from its bytes; any other name (or a steepest name without bytes,
/// which then needs to be registered) goes to Ballista's codec.
fn decode_udaf(
    name: &str,
    buf: &[u8],
    otherwise: impl FnOnce(&str, &[u8]) -> Result<Arc<AggregateUDF>>,
) -> Result<Arc<AggregateUDF>> {
    if wire::NAMES.contains(&name) && !buf.is_empty() {
        Ok(Arc::new(wire::decode(name, buf)?))
    } else {
        otherwise(name, buf)
    }
}
