"""The generated protos must stay wire-compatible with apiserver-network-proxy v0.36."""

from protos._gen import agent_pb2, client_pb2


def test_method_paths_have_no_package_prefix() -> None:
    proxy = client_pb2.DESCRIPTOR.services_by_name["ProxyService"].methods_by_name["Proxy"]
    connect = agent_pb2.DESCRIPTOR.services_by_name["AgentService"].methods_by_name["Connect"]
    assert f"/{proxy.containing_service.full_name}/{proxy.name}" == "/ProxyService/Proxy"
    assert f"/{connect.containing_service.full_name}/{connect.name}" == "/AgentService/Connect"


def test_packet_type_values() -> None:
    expected = {
        "DIAL_REQ": 0,
        "DIAL_RSP": 1,
        "CLOSE_REQ": 2,
        "CLOSE_RSP": 3,
        "DATA": 4,
        "DIAL_CLS": 5,
        "DRAIN": 6,
    }
    assert dict(client_pb2.PacketType.items()) == expected


def test_field_numbers() -> None:
    packet = client_pb2.Packet.DESCRIPTOR.fields_by_name
    assert {name: f.number for name, f in packet.items()} == {
        "type": 1,
        "dialRequest": 2,
        "dialResponse": 3,
        "data": 4,
        "closeRequest": 5,
        "closeResponse": 6,
        "closeDial": 7,
        "drain": 8,
    }
    data = client_pb2.Data.DESCRIPTOR.fields_by_name
    assert {name: f.number for name, f in data.items()} == {"connectID": 1, "error": 2, "data": 3}


def test_known_wire_bytes() -> None:
    # DATA{connectID=1, data=b"hi"}: field 1 varint 4, field 4 len-delimited {1: 1, 3: "hi"}.
    packet = client_pb2.Packet(type=client_pb2.DATA, data=client_pb2.Data(connectID=1, data=b"hi"))
    assert (
        packet.SerializeToString()
        == bytes([0x08, 0x04, 0x22, 0x06, 0x08, 0x01, 0x1A, 0x02]) + b"hi"
    )
