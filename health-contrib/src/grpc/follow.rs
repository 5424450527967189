//! The background task behind [`UpstreamCheck`](super::UpstreamCheck): keeps a
//! Watch stream open, reconnects with backoff, falls back to polling Check,
//! and publishes the latest outcome on a `watch` channel.

use std::time::Duration;

use tokio::sync::watch;
use tonic::transport::Channel;
use tonic::{Code, Status};

use grpc_health_checks::error_reason;
use grpc_health_proto::ServingStatus;
use grpc_health_proto::pb::HealthCheckRequest;
use grpc_health_proto::pb::health_client::HealthClient;

/// The latest outcome: `Ok` while the upstream is SERVING, else the reason.
pub(super) type Latest = Result<(), String>;

/// Where and how to follow.
pub(super) struct Follow {
    pub(super) channel: Channel,
    pub(super) target: String,
    pub(super) service: String,
    pub(super) backoff: (Duration, Duration),
    pub(super) poll_interval: Duration,
}

/// Spawns the task; it ends once every receiver is dropped.
pub(super) fn start(follow: Follow) -> watch::Receiver<Latest> {
    let (latest, receiver) = watch::channel(Err(format!(
        "upstream {}: no status received yet",
        follow.target
    )));
    tokio::spawn(async move {
        tokio::select! {
            () = latest.closed() => {}
            () = follow.run(&latest) => {}
        }
    });
    receiver
}

/// Makes `outcome` the latest; the one it replaces is of no further use.
fn publish(latest: &watch::Sender<Latest>, outcome: Latest) {
    let _replaced = latest.send_replace(outcome);
}

/// Reconnection delays: `min`, doubling up to `max`, and `min` again once a
/// stream has delivered, so a restarted upstream is found quickly and a long
/// outage costs one attempt every `max`.
struct Backoff {
    min: Duration,
    max: Duration,
    next: Duration,
}

impl Backoff {
    const fn new((min, max): (Duration, Duration)) -> Self {
        Self {
            min,
            max,
            next: min,
        }
    }

    const fn reset(&mut self) {
        self.next = self.min;
    }

    fn next_delay(&mut self) -> Duration {
        let delay = self.next;
        self.next = delay.saturating_mul(2).min(self.max);
        delay
    }
}

/// How a Watch call ended.
enum Ended {
    /// The upstream has no Watch: poll Check instead.
    Unimplemented,
    /// The call failed or the stream broke, after `received` messages.
    Broken { reason: String, received: bool },
}

impl Follow {
    async fn run(&self, latest: &watch::Sender<Latest>) {
        let mut client = HealthClient::new(self.channel.clone());
        let mut backoff = Backoff::new(self.backoff);
        loop {
            match self.watch(&mut client, latest).await {
                Ended::Unimplemented => return self.poll(&mut client, latest).await,
                Ended::Broken { reason, received } => {
                    publish(latest, Err(reason));
                    if received {
                        backoff.reset();
                    }
                }
            }
            tokio::time::sleep(backoff.next_delay()).await;
        }
    }

    /// One Watch call, publishing each status until the stream ends.
    async fn watch(
        &self,
        client: &mut HealthClient<Channel>,
        latest: &watch::Sender<Latest>,
    ) -> Ended {
        let mut stream = match client.watch(self.request()).await {
            Ok(response) => response.into_inner(),
            Err(status) if status.code() == Code::Unimplemented => return Ended::Unimplemented,
            Err(status) => {
                return Ended::Broken {
                    reason: self.unreachable(&status),
                    received: false,
                };
            }
        };
        let mut received = false;
        loop {
            let reason = match stream.message().await {
                Ok(Some(message)) => {
                    received = true;
                    publish(latest, self.judge(message.status()));
                    continue;
                }
                Ok(None) => format!("upstream {} ended the Watch stream", self.target),
                Err(status) => self.unreachable(&status),
            };
            return Ended::Broken { reason, received };
        }
    }

    /// Calls Check every poll interval, for upstreams without Watch.
    async fn poll(&self, client: &mut HealthClient<Channel>, latest: &watch::Sender<Latest>) {
        let mut ticks = tokio::time::interval(self.poll_interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            let mut request = tonic::Request::new(self.request());
            request.set_timeout(self.poll_interval);
            let outcome = match client.check(request).await {
                Ok(response) => self.judge(response.into_inner().status()),
                Err(status) if status.code() == Code::NotFound => {
                    self.judge(ServingStatus::ServiceUnknown)
                }
                Err(status) => Err(self.unreachable(&status)),
            };
            publish(latest, outcome);
        }
    }

    fn request(&self) -> HealthCheckRequest {
        HealthCheckRequest {
            service: self.service.clone(),
        }
    }

    fn judge(&self, status: ServingStatus) -> Latest {
        if status == ServingStatus::Serving {
            Ok(())
        } else {
            Err(format!(
                "upstream {} service {:?} is {}",
                self.target,
                self.service,
                status.as_str_name()
            ))
        }
    }

    fn unreachable(&self, status: &Status) -> String {
        let mut reason = format!("upstream {} unreachable: ", self.target);
        let causes = std::error::Error::source(status).map(error_reason);
        match causes {
            // Transport failures carry the real cause (refused, reset, DNS) as a source.
            Some(causes) if status.message().is_empty() || causes.contains(status.message()) => {
                reason.push_str(&causes);
            }
            Some(causes) => {
                reason.push_str(&format!("{}: {causes}", status.message()));
            }
            None => reason.push_str(&format!("{:?}: {}", status.code(), status.message())),
        }
        reason
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_its_cap_and_resets() {
        let mut backoff = Backoff::new((Duration::from_millis(100), Duration::from_secs(5)));
        let delays: Vec<u64> = (0..9)
            .map(|_| u64::try_from(backoff.next_delay().as_millis()).unwrap_or(u64::MAX))
            .collect();
        assert_eq!(delays, [100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000]);
        backoff.reset();
        assert_eq!(backoff.next_delay(), Duration::from_millis(100));
    }
}
