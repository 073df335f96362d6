"""The data map of the consent view (see ``projections.classification``).

Until its columns are classified here, the catalogue test skips its tables (``PENDING_PREFIXES``
in ``tests/integration/test_data_map.py``).
"""

from __future__ import annotations

from projections.classification import Table

TABLES: dict[str, Table] = {}
