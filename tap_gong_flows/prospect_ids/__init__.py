"""Where CRM prospect IDs come from, and how they are cleaned and de-duplicated.

Every source is an iterable of raw IDs with a name (:class:`ProspectIdSource`): the
config's list, a file, a SQL query, Gong's own tasks. Sources are read lazily, so a file
of a million IDs is never held in memory as a list; :func:`unique_prospect_ids` cleans
them and keeps each once, in first-seen order. (The tasks source,
:mod:`tap_gong_flows.prospect_ids.gong_tasks`, asks Gong and is imported where it is used.)
"""

from tap_gong_flows.prospect_ids.cleaning import MAX_ID_LENGTH, normalize_prospect_id
from tap_gong_flows.prospect_ids.errors import IdFileError, ProspectSourceError, SqlSourceError
from tap_gong_flows.prospect_ids.id_file import MAX_LINE_CHARS, ProspectIdFile
from tap_gong_flows.prospect_ids.pipeline import unique_prospect_ids
from tap_gong_flows.prospect_ids.source import ConfigIds, ProspectIdSource
from tap_gong_flows.prospect_ids.sql_query import SqlQueryIds

__all__ = [
    "MAX_ID_LENGTH",
    "MAX_LINE_CHARS",
    "ConfigIds",
    "IdFileError",
    "ProspectIdFile",
    "ProspectIdSource",
    "ProspectSourceError",
    "SqlQueryIds",
    "SqlSourceError",
    "normalize_prospect_id",
    "unique_prospect_ids",
]
