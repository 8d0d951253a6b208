"""Wagtail's PostgreSQL search backend, made insensitive to French accents.

PostgreSQL's built-in ``french`` configuration stems words but keeps their accents, so
"ecole" would not find "École" (SQLite's FTS5 tokenizer already folds them). The
migration ``discovery.0001_french_unaccent`` creates two text search configurations that
pass every word through the ``unaccent`` dictionary first: ``french_unaccent`` (then the
French stemmer) for searches, ``simple_unaccent`` (no stemming) for the beginnings of
words that autocomplete matches. Settings select this backend when the database is
PostgreSQL; an existing index is rebuilt with ``manage.py update_index``.
"""

from wagtail.search.backends.database.postgres.postgres import PostgresSearchBackend

SEARCH_CONFIG = "french_unaccent"
AUTOCOMPLETE_CONFIG = "simple_unaccent"


class FrenchPostgresSearchBackend(PostgresSearchBackend):
    def __init__(self, params):
        super().__init__({"SEARCH_CONFIG": SEARCH_CONFIG, **params})
        # The parent class hard-codes "simple": keep its no-stemming behaviour, unaccented.
        self.autocomplete_config = AUTOCOMPLETE_CONFIG


SearchBackend = FrenchPostgresSearchBackend
