"""``hostform import compose``: a Compose project (compose.yaml) as a host file.

Pipeline (:mod:`.importer`): :mod:`.project` reads the files as compose-go does (positions kept, :mod:`.tree`;
interpolation, dotenv and shell words as Compose's Go code reads them, :mod:`.text`), :mod:`.convert` maps the
services onto the host file, the host file's own loader checks the result, :mod:`.write` writes it.
"""

from hostform.compose.importer import Imported, import_compose, report_text

__all__ = ["Imported", "import_compose", "report_text"]
