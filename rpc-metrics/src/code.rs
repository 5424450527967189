//! gRPC status codes as the metrics spell them: go-grpc-middleware's
//! `grpc_code` label uses Go's `codes.Code` names (`OK`, `Canceled`,
//! `Unavailable`, …), OpenTelemetry's `rpc.grpc.status_code` the number.

use grpc_health_proto::code::GO_NAMES;

/// The numbers as label values, so recording formats nothing.
const NUMBERS: [&str; 17] = [
    "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15", "16",
];

/// How many codes there are: the size of the per-code tables.
pub(crate) const COUNT: usize = GO_NAMES.len();

/// A gRPC status code, 0 to 16.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Code(u8);

impl Code {
    pub(crate) const CANCELLED: Self = Self(1);
    pub(crate) const UNKNOWN: Self = Self(2);
    pub(crate) const INTERNAL: Self = Self(13);
    pub(crate) const UNAVAILABLE: Self = Self(14);

    /// The code in a `grpc-status` value; a value outside 0..=16 or not a
    /// number is UNKNOWN, as gRPC clients read it.
    pub(crate) fn from_header(value: &[u8]) -> Self {
        std::str::from_utf8(value)
            .ok()
            .and_then(|text| text.parse::<u8>().ok())
            .filter(|&code| usize::from(code) < COUNT)
            .map_or(Self::UNKNOWN, Self)
    }

    /// The code for an HTTP response without `grpc-status`, by the gRPC
    /// spec's HTTP-to-gRPC mapping (a proxy or a plain HTTP server answered).
    pub(crate) fn from_http(status: http::StatusCode) -> Self {
        match status.as_u16() {
            400 => Self::INTERNAL,
            401 => Self(16),
            403 => Self(7),
            404 => Self(12),
            429 | 502..=504 => Self::UNAVAILABLE,
            _ => Self::UNKNOWN,
        }
    }

    /// Index into the per-code tables.
    pub(crate) fn index(self) -> usize {
        usize::from(self.0)
    }

    /// Go's name: `OK`, `Canceled`, `Unavailable`, …
    pub(crate) fn name(self) -> &'static str {
        GO_NAMES[self.index()]
    }

    /// The number as text, for OpenTelemetry's `rpc.grpc.status_code`.
    pub(crate) fn number(self) -> &'static str {
        NUMBERS[self.index()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_go_codes_and_tonic_numbers() {
        for (number, tonic_code) in [
            (0, tonic::Code::Ok),
            (1, tonic::Code::Cancelled),
            (14, tonic::Code::Unavailable),
            (16, tonic::Code::Unauthenticated),
        ] {
            assert_eq!(tonic_code as i32, number);
        }
        assert_eq!(Code::from_header(b"14").name(), "Unavailable");
        assert_eq!(Code::from_header(b"1").name(), "Canceled");
        assert_eq!(Code::from_header(b"16").number(), "16");
    }

    #[test]
    fn bad_status_values_are_unknown() {
        for value in [&b"17"[..], b"-1", b"", b"OK", b"\xff"] {
            assert_eq!(Code::from_header(value), Code::UNKNOWN, "{value:?}");
        }
    }

    #[test]
    fn http_statuses_map_as_the_grpc_spec_says() {
        assert_eq!(
            Code::from_http(http::StatusCode::SERVICE_UNAVAILABLE).name(),
            "Unavailable"
        );
        assert_eq!(
            Code::from_http(http::StatusCode::NOT_FOUND).name(),
            "Unimplemented"
        );
        assert_eq!(
            Code::from_http(http::StatusCode::IM_A_TEAPOT).name(),
            "Unknown"
        );
    }
}
