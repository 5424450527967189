//! Integration tests for `health-manifests`: rendered manifests validated
//! offline against the Kubernetes 1.33 schema, rejections, and a kubelet-like
//! end-to-end run of the rendered probes.
