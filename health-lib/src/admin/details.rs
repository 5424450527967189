//! Who may see failure reasons: [`ShowDetails`], decided per request from
//! its head (headers, and extensions such as the [`PeerAddr`] that
//! [`serve`](super::serve) adds), as Spring Boot's `show-details`.

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;

use http::{Extensions, HeaderMap};

/// The address of the client that sent a request, as a request extension:
/// [`serve`](super::serve) inserts it; a server of your own may too.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PeerAddr(pub SocketAddr);

/// The hook of [`ShowDetails::When`]: the request's headers and extensions.
pub type DetailsHook = dyn Fn(&HeaderMap, &Extensions) -> bool + Send + Sync;

/// Whether failure reasons go into `?verbose`, per-check and JSON answers;
/// otherwise they read `reason withheld` (text) or are left out (JSON).
///
/// ```
/// use grpc_health_checks::admin::{PeerAddr, ShowDetails};
///
/// // Reasons for a bearer token, or for a client on this host.
/// let details = ShowDetails::when(|headers, extensions| {
///     let token = headers.get("authorization").is_some_and(|value| value == "Bearer s3cret");
///     let local = extensions
///         .get::<PeerAddr>()
///         .is_some_and(|PeerAddr(peer)| peer.ip().is_loopback());
///     token || local
/// });
/// # let _ = details;
/// ```
#[derive(Clone, Default)]
pub enum ShowDetails {
    /// To nobody (the default): an admin port is often reachable by more
    /// than the operators, and reasons can name hosts, users and errors.
    #[default]
    Never,
    /// To everyone: only for an address untrusted clients cannot reach.
    Always,
    /// To requests the hook allows, given their headers and extensions.
    When(Arc<DetailsHook>),
}

impl ShowDetails {
    /// [`ShowDetails::When`] from a closure.
    pub fn when(allow: impl Fn(&HeaderMap, &Extensions) -> bool + Send + Sync + 'static) -> Self {
        Self::When(Arc::new(allow))
    }

    /// Whether a request with these headers and extensions sees reasons.
    pub(crate) fn allows(&self, headers: &HeaderMap, extensions: &Extensions) -> bool {
        match self {
            Self::Never => false,
            Self::Always => true,
            Self::When(allow) => allow(headers, extensions),
        }
    }
}

impl From<bool> for ShowDetails {
    /// `true` is [`ShowDetails::Always`], `false` [`ShowDetails::Never`].
    fn from(show: bool) -> Self {
        if show { Self::Always } else { Self::Never }
    }
}

impl fmt::Debug for ShowDetails {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Never => "Never",
            Self::Always => "Always",
            Self::When(_) => "When(..)",
        })
    }
}
