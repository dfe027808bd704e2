package evidence_test

# The view reads helpers of the residency and audit rule files (data.residency, data.audit):
# naming them here has the test runner load those areas with this file.
import data.evidence as flow
import rego.v1

_ca := {"residency": {"zone": "ca", "sovereign": true}}

test_connectivity_of_cluster_private_and_internet_backends if {
	flow.connectivity({"places": [{"kind": "cluster"}], "hosts": ["a.svc.cluster.local"]}, set()) == "in-cluster"
	private := {"bedrock-runtime.ca-central-1.amazonaws.com"}
	bedrock := {
		"places": [{"kind": "region", "region": "ca-central-1"}],
		"hosts": ["bedrock-runtime.ca-central-1.amazonaws.com"],
	}
	flow.connectivity(bedrock, private) == "privatelink"
	flow.connectivity(bedrock, set()) == "internet"
	flow.connectivity({"places": [{"kind": "unknown"}], "hosts": []}, private) == "unknown"
}

test_place_status_in_out_declared_unknown if {
	flow.place_view({"kind": "region", "region": "ca-central-1"}, _ca).status == "in-zone"
	flow.place_view({"kind": "region", "region": "us-east-1"}, _ca).status == "outside-zone"
	flow.place_view({"kind": "declared", "region": "ca-west-1"}, _ca).status == "declared"
	flow.place_view({"kind": "declared", "region": "eu-west-1"}, _ca).status == "outside-zone"
	flow.place_view({"kind": "unknown"}, _ca).status == "unknown"
	flow.place_view({"kind": "cluster"}, _ca).status == "in-zone"
}

test_capture_without_a_region_is_the_exporter_default if {
	p := flow._capture_place(null, ["ca-central-1", "ca-west-1"])
	p.region == "us-east-1"
	p.status == "outside-zone"
	flow._capture_place("ca-central-1", ["ca-central-1"]).status == "in-zone"
}

test_weights_region_from_the_sync_command if {
	sync := {"command": ["aws", "s3", "sync", "--region", "ca-central-1"], "args": ["s3://m/x", "/models"]}
	spec := {"initContainers": [sync]}
	flow._fetch_regions(spec) == {"ca-central-1"}
	p := flow._weight_place("s3://m/x", {"ca-central-1"}, set(), ["ca-central-1"])
	p.status == "in-zone"
	flow._weight_place("s3://m/x", set(), set(), ["ca-central-1"]).status == "unknown"
	flow._weight_place("pvc://claim/x", set(), set(), ["ca-central-1"]).kind == "cluster"
}
