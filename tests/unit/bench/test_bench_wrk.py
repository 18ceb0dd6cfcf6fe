"""Reading wrk's report."""

import pytest
from tunnelbench.wrk import parse_report

REPORT = """\
Running 1s test @ http://127.0.0.1:35779/
  1 threads and 10 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   346.14us    0.89ms  10.51ms   92.92%
    Req/Sec    70.22k    33.17k  116.15k    63.64%
  Latency Distribution
     50%  110.00us
     75%  150.00us
     90%  574.00us
     99%    4.38ms
  76513 requests in 1.10s, 7.37MB read
Requests/sec:  69484.31
Transfer/sec:      6.69MB
"""


def test_rate_and_p99_are_read_from_the_report() -> None:
    report = parse_report(REPORT)
    assert report.requests_per_second == pytest.approx(69484.31)
    assert report.p99_ms == pytest.approx(4.38)


@pytest.mark.parametrize(("text", "ms"), [("512.00us", 0.512), ("1.20s", 1200.0)])
def test_p99_units_are_converted_to_milliseconds(text: str, ms: float) -> None:
    report = parse_report(REPORT.replace("    4.38ms", f"  {text}"))
    assert report.p99_ms == pytest.approx(ms)


def test_a_report_without_latency_distribution_is_rejected() -> None:
    with pytest.raises(ValueError, match="unrecognised wrk output"):
        parse_report("Requests/sec:  1.0\n")
