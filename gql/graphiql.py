"""The GraphiQL page at /graphql: the vendored GraphiQL (static/graphiql/) with our welcome
text in its editor.

The welcome text is data, not code: it goes into the page as a JSON string inside a
``<script type="application/json">`` block, which the page's script reads with
``JSON.parse``. Pasted into the script itself (it was once a JS template literal), the
backticks of « `famille dev` » ended the literal and GraphiQL never rendered.
"""

import json
from functools import cache
from pathlib import Path

PAGE = Path(__file__).parent / "static" / "graphiql" / "index.html"
MARKER = "<!-- famille:default-query -->"

DEFAULT_QUERY = """# Bienvenue dans GraphiQL pour l'API famille.
#
# La plupart des opérations exigent d'être connecté :
#
# 1. Connectez-vous avec la mutation login :
#    décommentez-la, mettez votre e-mail et votre
#    mot de passe, puis exécutez-la (bouton ▶).
#
#      mutation {
#        login(input: {
#          town: "demo"
#          email: "claire.martin@demo.famille.localhost"
#          password: "Parent2026demo"
#        }) {
#          token
#          errors { code message }
#        }
#      }
#
#    (« demo » et ces identifiants sont ceux de la
#    commune de démonstration de `famille dev`.)
#
# 2. Copiez le jeton renvoyé, ouvrez l'onglet
#    « Headers » sous l'éditeur et collez-y :
#
#      {"Authorization": "Bearer <jeton>"}
#
#    Les en-têtes restent enregistrés dans ce
#    navigateur d'une visite à l'autre.
#
# 3. Écrivez ensuite vos requêtes ici, par exemple :
#
#      { me { email households { name
#          children { firstNames } } } }
#
#    l'autocomplétion et l'onglet Docs
#    connaissent tout le schéma.
#
# Raccourcis clavier :
#
#   Exécuter :        Ctrl-Entrée (ou le bouton ▶)
#   Autocomplétion :  Ctrl-Espace (ou tapez, tout
#                     simplement)
#
"""


def json_for_script(value: object) -> str:
    """JSON that cannot end its ``<script>`` element nor open a comment in it: ``<``, ``>``
    and ``&`` are written as ``\\u00XX`` escapes (JSON.parse reads them back as is)."""
    return (
        json.dumps(value, ensure_ascii=False)
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
    )


def render_page(default_query: str = DEFAULT_QUERY) -> str:
    """The page with ``default_query`` as the editor's first content."""
    page = PAGE.read_text(encoding="utf-8")
    if page.count(MARKER) != 1:
        raise RuntimeError(f"{PAGE} must hold {MARKER} exactly once")
    block = (
        '<script type="application/json" id="famille-default-query">'
        f"{json_for_script(default_query)}</script>"
    )
    return page.replace(MARKER, block)


@cache
def graphiql_page() -> bytes:
    """Rendered once per process: the page and its text only change with a release."""
    return render_page().encode("utf-8")
