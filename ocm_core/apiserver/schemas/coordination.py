"""coordination.k8s.io/v1 Lease (leader election)."""

from __future__ import annotations

from typing import Final

from ocm_core.apiserver.schemas.meta import kind_schema
from ocm_core.apiserver.schemas.vocabulary import integer, obj, string, timestamp

LEASE: Final = kind_schema(
    "Lease defines a lease concept.",
    {
        "spec": obj(
            "spec contains the specification of the Lease.",
            {
                "holderIdentity": string(
                    "holderIdentity contains the identity of the holder of a current lease."
                ),
                "leaseDurationSeconds": integer(
                    "leaseDurationSeconds is a duration that candidates for a lease need to "
                    "wait to force acquire it."
                ),
                "acquireTime": timestamp(
                    "acquireTime is a time when the current lease was acquired."
                ),
                "renewTime": timestamp(
                    "renewTime is a time when the current holder of a "
                    "lease has last updated the lease."
                ),
                "leaseTransitions": integer(
                    "leaseTransitions is the number of transitions of a lease between holders."
                ),
                "strategy": string(
                    "Strategy indicates the strategy for picking the leader "
                    "for coordinated leader election."
                ),
                "preferredHolder": string(
                    "PreferredHolder signals to a lease holder that the "
                    "lease has a more optimal holder and should be "
                    "given up."
                ),
            },
        )
    },
)
