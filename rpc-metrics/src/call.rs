//! One call being measured: started when the request arrives, finished once
//! with its final code; dropped unfinished (the peer went away, or the
//! caller stopped reading) it counts as `Canceled`.

use std::sync::Arc;
use std::time::Instant;

use http::HeaderMap;

use crate::code::Code;
use crate::families::MethodMetrics;

/// A call in flight: its method's series and when it started.
#[derive(Debug)]
pub(crate) struct Call {
    metrics: Arc<MethodMetrics>,
    start: Instant,
    finished: bool,
}

impl Call {
    /// Counts the start.
    pub(crate) fn start(metrics: &Arc<MethodMetrics>) -> Self {
        metrics.started.inc();
        Self {
            metrics: Arc::clone(metrics),
            start: Instant::now(),
            finished: false,
        }
    }

    pub(crate) fn metrics(&self) -> &MethodMetrics {
        &self.metrics
    }

    /// Records the final code (once; later calls do nothing).
    pub(crate) fn finish(&mut self, code: Code) {
        if !self.finished {
            self.finished = true;
            self.metrics
                .finish(code, self.start.elapsed().as_secs_f64());
        }
    }
}

impl Drop for Call {
    fn drop(&mut self) {
        self.finish(Code::CANCELLED);
    }
}

/// The code in a `grpc-status` header or trailer, if there is one.
pub(crate) fn status_in(headers: &HeaderMap) -> Option<Code> {
    headers
        .get("grpc-status")
        .map(|value| Code::from_header(value.as_bytes()))
}
