"""certificates.k8s.io/v1 CertificateSigningRequest (cluster registration's CSRs)."""

from __future__ import annotations

from typing import Final

from ocm_core.apiserver.schemas.meta import kind_schema
from ocm_core.apiserver.schemas.vocabulary import (
    array,
    integer,
    obj,
    string,
    strings,
    timestamp,
)

CERTIFICATE_SIGNING_REQUEST: Final = kind_schema(
    "CertificateSigningRequest objects provide a mechanism to obtain x509 certificates by "
    "submitting a certificate signing request, and having it asynchronously approved and "
    "issued.",
    {
        "spec": obj(
            "spec contains the certificate request, and is immutable after creation.",
            {
                "request": string(
                    "request contains an x509 certificate signing request "
                    'encoded in a "CERTIFICATE REQUEST" PEM block.'
                ),
                "signerName": string(
                    "signerName indicates the requested signer, and is a qualified name."
                ),
                "expirationSeconds": integer(
                    "expirationSeconds is the requested duration of "
                    "validity of the issued certificate."
                ),
                "usages": strings(
                    "usages specifies a set of key usages requested in the issued certificate."
                ),
                "username": string(
                    "username contains the name of the user that created the "
                    "CertificateSigningRequest."
                ),
                "uid": string(
                    "uid contains the uid of the user that created the CertificateSigningRequest."
                ),
                "groups": strings(
                    "groups contains group membership of the user that created "
                    "the CertificateSigningRequest."
                ),
                "extra": {
                    "type": "object",
                    "description": "extra contains extra attributes of the user that created "
                    "the CertificateSigningRequest.",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                },
            },
        ),
        "status": obj(
            "status contains information about whether the request is approved or denied, and "
            "the certificate issued by the signer, or the failure condition indicating signer "
            "failure.",
            {
                "conditions": array(
                    'conditions applied to the request. Known conditions are "Approved", '
                    '"Denied", and "Failed".',
                    obj(
                        "CertificateSigningRequestCondition describes a condition of a "
                        "CertificateSigningRequest object",
                        {
                            "type": string("type of the condition."),
                            "status": string(
                                "status of the condition, one of True, False, Unknown."
                            ),
                            "reason": string(
                                "reason indicates a brief reason for the request state"
                            ),
                            "message": string(
                                "message contains a human readable message "
                                "with details about the request state"
                            ),
                            "lastUpdateTime": timestamp(
                                "lastUpdateTime is the time of the last update to this condition"
                            ),
                            "lastTransitionTime": timestamp(
                                "lastTransitionTime is the time the condition last "
                                "transitioned from one status to another."
                            ),
                        },
                    ),
                ),
                "certificate": string(
                    "certificate is populated with an issued certificate by "
                    "the signer after an Approved condition is present."
                ),
            },
        ),
    },
)
