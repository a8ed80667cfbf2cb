//! Benchmark workloads (placeholder).
