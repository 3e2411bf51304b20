"""The service's HTTP plumbing: logs, request ids, metrics, tracing, probes, error answers."""
