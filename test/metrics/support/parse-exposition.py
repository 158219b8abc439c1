# Parses Prometheus text format with Prometheus' own Python client (Debian python3-prometheus-client)
# and prints the families as JSON, so the tests check our output against an independent parser.
import json
import math
import sys

from prometheus_client.parser import text_string_to_metric_families


def number(value):
    if math.isnan(value):
        return 'NaN'
    if math.isinf(value):
        return '+Inf' if value > 0 else '-Inf'
    return value


families = []
for family in text_string_to_metric_families(sys.stdin.read()):
    families.append({
        'name': family.name,
        'type': family.type,
        'help': family.documentation,
        'samples': [{'name': s.name, 'labels': s.labels, 'value': number(s.value)} for s in family.samples],
    })
print(json.dumps(families))
