"""The reads of snow-connect's dictionary discovery, done with PySNC (ServiceNow's own Python
client, with its defaults), for `cargo bench --bench perf`: the chain, the type labels, the
dictionary of incident and task, and their choices. Prints the rows read.

Needs SNOW_URL (the simulator's https:// base URL) and REQUESTS_CA_BUNDLE (its CA).
"""
import os
from pysnc import ServiceNowClient
from pysnc.auth import ServiceNowPasswordGrantFlow

auth = ServiceNowPasswordGrantFlow("finout.integration", "demo-password",
                                   "4f1c2b8e9d7a6c5b4a3f2e1d0c9b8a7f", "demo-secret")
client = ServiceNowClient(os.environ["SNOW_URL"], auth)
rows = 0
def read(table, query, fields):
    global rows
    gr = client.GlideRecord(table)
    if query:
        gr.add_encoded_query(query)
    gr.fields = fields
    gr.query()
    for _ in gr:
        rows += 1
read("sys_db_object", "name=incident", ["name", "super_class"])
read("sys_glide_object", None, ["name", "label"])
read("sys_dictionary", "nameINincident,task^elementISNOTEMPTY",
     ["name", "element", "column_label", "internal_type", "max_length", "mandatory",
      "read_only", "active", "reference", "choice", "virtual", "dependent_on_field",
      "use_dependent_field"])
read("sys_choice", "nameINincident,task^inactive=false",
     ["name", "element", "value", "label", "sequence", "inactive", "dependent_value", "language"])
print(rows)
