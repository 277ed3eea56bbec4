"""Parses Prometheus exposition text on stdin with the official Python client's parser.

Prints one JSON object: {"families": [[name, type]...], "samples": [[name, labels, value]...]},
a value that is not finite (a gauge not yet read is NaN) as the text of it.
Exits 1 with the parser's message when the text is not valid exposition format.
"""

import json
import math
import sys

from prometheus_client.parser import text_string_to_metric_families

try:
    families = list(text_string_to_metric_families(sys.stdin.read()))
except ValueError as error:
    print(error, file=sys.stderr)
    sys.exit(1)
json.dump(
    {
        "families": [[family.name, family.type] for family in families],
        "samples": [
            [sample.name, sample.labels, sample.value if math.isfinite(sample.value) else str(sample.value)]
            for family in families
            for sample in family.samples
        ],
    },
    sys.stdout,
)
