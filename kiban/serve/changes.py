"""``GET /v1/datasets/{id}/changes?since=CURSOR&limit=N``: the resumable change feed of one dataset.

410 Gone when the cursor is older than the retained lake snapshots; 400 for a malformed cursor; 404 for an
unknown dataset. See :mod:`kiban.releases.changes` for cursor semantics.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from kiban.config import Paths
from kiban.releases import changes as feed
from kiban.serve.http import json_bytes, problem


def routes(paths: Paths) -> list[Route]:
    async def dataset_changes(request: Request) -> Response:
        """Change feed of a dataset after a cursor, paged (see kiban.serve.openapi)."""
        from kiban.serve.catalog import public_contracts

        name = request.path_params["dataset"]
        contract = public_contracts().get(name.replace("-", "_"))
        if contract is None:
            return problem(404, "Unknown dataset", f"no dataset {name!r}")
        try:
            limit = int(request.query_params.get("limit", "1000"))
            page = feed.changes(paths, contract, request.query_params.get("since"), limit)
        except feed.CursorExpired as e:
            return problem(410, "Cursor expired", str(e), cursor=request.query_params.get("since"))
        except (feed.BadCursor, ValueError) as e:
            return problem(400, "Bad cursor", str(e))
        except feed.UnknownDataset as e:
            return problem(404, "Unknown dataset", str(e))
        headers = {"Link": f'<{request.url.include_query_params(since=page["next_cursor"])}>; rel="next"'}
        return Response(json_bytes(page), media_type="application/json; charset=utf-8", headers=headers)

    return [Route("/v1/datasets/{dataset}/changes", dataset_changes)]
