"""PolicySet.decide names the file of every statement that applied, so the
report and `explain` can say which statement of which policy decided."""

from __future__ import annotations

DS = "arn:aws:iam::222222222222:role/SageMakerExecutionRole"
PROD = "arn:aws:iam::555555555555:role/SageMakerExecutionRole"
OBJ = "arn:aws:s3:::acme-ml-model-artifacts/credit-risk/model.tar.gz"


def test_decisions_name_the_file_of_every_applying_statement(world):
    decision = world.decide(DS, "s3:PutObject", "arn:aws:s3:::acme-ml-model-artifacts/credit-risk/m",
                            aws__SecureTransport="false")
    assert [(m.policy, m.source, m.sid, m.effect) for m in decision.matches] == [
        ("identity", "data-science/policies/iam-role-SageMakerExecutionRole.json", "ArtifactsReadWrite", "Allow"),
        ("resource", "shared-services/policies/s3-bucket-policy.json", "DenyInsecureTransport", "Deny"),
        ("resource", "shared-services/policies/s3-bucket-policy.json", "CreditRiskDevelopersArtifactsReadWrite", "Allow"),
    ]
    assert decision.consulted == [
        ("identity", "data-science/policies/iam-role-SageMakerExecutionRole.json"),
        ("resource", "shared-services/policies/s3-bucket-policy.json"),
    ]
    # the labelled lists the tests already use are unchanged
    assert decision.denies == ["resource:DenyInsecureTransport"]


def test_supplied_identity_policies_are_named_as_given(world):
    copied = world.identity_policies(PROD)
    decision = world.decide("arn:aws:iam::555555555555:role/Other", "s3:GetObject", OBJ, identity=copied)
    assert decision.matches[0].source == "supplied identity policy 1"
