from fastapi.testclient import TestClient


def test_metrics_are_served_in_prometheus_text_format(client: TestClient) -> None:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert "python_info{" in response.text


def test_requests_are_counted_by_route_and_status(client: TestClient) -> None:
    client.get("/items/not-a-uuid")
    client.get("/healthz")
    lines = client.get("/metrics").text.splitlines()
    counted = [line for line in lines if line.startswith("http_requests_total{")]
    assert any(
        'path="/items/{item_id}"' in line and 'status_code="422"' in line for line in counted
    )
    assert any(line.startswith("http_request_duration_seconds_bucket{") for line in lines)
    assert not any('path="/healthz"' in line for line in counted)  # probes are not traffic
