//! The three sides of a cluster: the client's session, the scheduler's and the executors'
//! configurations, each with [`LogicalCodec`] and [`PhysicalCodec`].

use std::sync::Arc;

use ballista::prelude::{SessionConfigExt, SessionContextExt};
use ballista_executor::executor_process::ExecutorProcessConfig;
use ballista_scheduler::config::SchedulerConfig;
use datafusion::common::Result;
use datafusion::execution::SessionStateBuilder;
use datafusion::prelude::{SessionConfig, SessionContext};

use crate::{LogicalCodec, PhysicalCodec};

/// A Ballista client's session configuration, with the steepest codecs.
///
/// # Example
/// ```
/// use ballista::prelude::SessionConfigExt;
/// let config = steepest_ballista::session_config();
/// assert!(format!("{:?}", config.ballista_logical_extension_codec()).contains("LogicalCodec"));
/// ```
pub fn session_config() -> SessionConfig {
    SessionConfig::new_with_ballista()
        .with_ballista_logical_extension_codec(Arc::new(LogicalCodec::default()))
        .with_ballista_physical_extension_codec(Arc::new(PhysicalCodec::default()))
}

/// A session whose queries run on the cluster whose scheduler is at `url`
/// (`df://host:port`). Its `DataFrame`s go to [`steepest_datafusion::fit_regression`],
/// [`steepest_datafusion::fit`] and [`steepest_datafusion::fit_groups`] as local ones do.
///
/// # Errors
/// If `url` is not a `df://host:port` address. The session connects when it runs its first
/// query, which reports a scheduler that cannot be reached.
///
/// # Example
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// assert!(steepest_ballista::remote("not a url").await.is_err());
/// # }
/// ```
pub async fn remote(url: &str) -> Result<SessionContext> {
    let state = SessionStateBuilder::new()
        .with_config(session_config())
        .with_default_features()
        .build();
    SessionContext::remote_with_state(url, state).await
}

/// A scheduler's configuration with the steepest codecs; the rest is Ballista's default.
///
/// # Example
/// ```
/// let config = steepest_ballista::scheduler_config();
/// assert!(config.override_logical_codec.is_some() && config.override_physical_codec.is_some());
/// ```
pub fn scheduler_config() -> SchedulerConfig {
    SchedulerConfig {
        override_logical_codec: Some(Arc::new(LogicalCodec::default())),
        override_physical_codec: Some(Arc::new(PhysicalCodec::default())),
        override_config_producer: Some(Arc::new(session_config)),
        ..SchedulerConfig::default()
    }
}

/// An executor's configuration with the steepest codecs; the rest is Ballista's default.
///
/// # Example
/// ```
/// let config = steepest_ballista::executor_config();
/// assert!(config.override_logical_codec.is_some() && config.override_physical_codec.is_some());
/// ```
pub fn executor_config() -> ExecutorProcessConfig {
    ExecutorProcessConfig {
        override_logical_codec: Some(Arc::new(LogicalCodec::default())),
        override_physical_codec: Some(Arc::new(PhysicalCodec::default())),
        override_config_producer: Some(Arc::new(session_config)),
        ..ExecutorProcessConfig::default()
    }
}
