"""Fill the French .ts file from dev/translations_fr.json (source text → translation).

pylupdate5 keeps the .ts in step with the code; this fills every entry whose source text has a French
translation in the JSON, so translations survive regeneration. Prints what is still untranslated.
"""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path


def fill(ts_path: Path, table_path: Path) -> list[str]:
    table = json.loads(table_path.read_text(encoding="utf-8"))
    tree = ET.parse(ts_path)
    missing = []
    for message in tree.iter("message"):
        source = message.findtext("source") or ""
        translation = message.find("translation")
        if translation is None:
            continue
        if source in table:
            translation.text = table[source]
            translation.attrib.pop("type", None)
        elif translation.attrib.get("type") == "unfinished":
            missing.append(source)
    tree.write(ts_path, encoding="utf-8", xml_declaration=True)
    return missing


if __name__ == "__main__":
    ts, table = Path(sys.argv[1]), Path(sys.argv[2])
    left = fill(ts, table)
    for text in left:
        print(f"untranslated: {text!r}", file=sys.stderr)
