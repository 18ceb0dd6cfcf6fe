"""The tunnel benchmark of issue 3, run by `bench/tunnel.py` (`make bench`).

Modules, one concept each: `cli`/`config` (what to run), `services`/`targetproc` (the
target services), `paths` (direct), `sshd` (OpenSSH peer), `ourtunnel`/`pki`/`konnectivity`
(our tunnel's slot), `rows` (the measurements), `stats`/`targets`/`catalog`/`report` (pure
figures and the table), `installing`/`processes` (machine setup).
"""
