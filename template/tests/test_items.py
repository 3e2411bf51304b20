from uuid import uuid4

import pytest
from fastapi.testclient import TestClient


def test_create_then_read_an_item(client: TestClient) -> None:
    created = client.post("/items", json={"name": "first"})
    assert created.status_code == 201
    item = created.json()
    assert item["name"] == "first"

    assert client.get(f"/items/{item['id']}").json() == item
    assert client.get("/items").json()["items"] == [item]


def test_items_come_in_pages(client: TestClient) -> None:
    names = [f"item-{n}" for n in range(5)]
    for name in names:
        assert client.post("/items", json={"name": name}).status_code == 201

    first = client.get("/items", params={"limit": 2}).json()
    assert [item["name"] for item in first["items"]] == names[:2]
    assert (first["total"], first["limit"], first["offset"], first["next_offset"]) == (5, 2, 0, 2)
    last = client.get("/items", params={"limit": 2, "offset": 4}).json()
    assert [item["name"] for item in last["items"]] == names[4:]
    assert last["next_offset"] is None
    assert client.get("/items", params={"limit": 101}).status_code == 422
    assert client.get("/items", params={"offset": -1}).status_code == 422


def test_unknown_item_is_404(client: TestClient) -> None:
    assert client.get(f"/items/{uuid4()}").status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        b'{"name": ""}',
        b'{"name": NaN}',
        b'{"name": Infinity}',
        b'{"name": "\\ud800"}',
        b'{"\\udfff": 1, "name": 5}',
        b'{"name": ',
    ],
)
def test_invalid_input_is_422_never_500(client: TestClient, body: bytes) -> None:
    response = client.post("/items", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.json()["detail"]


def test_the_openapi_document_lists_every_answer(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert {"201", "400", "413", "422", "503"} <= set(paths["/items"]["post"]["responses"])
    assert {"200", "422"} <= set(paths["/items"]["get"]["responses"])
    assert {"200", "404", "422"} <= set(paths["/items/{item_id}"]["get"]["responses"])
    assert {"200", "503"} <= set(paths["/readyz"]["get"]["responses"])
