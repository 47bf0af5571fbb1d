"""The generated runtime/loopscope/_protocol.py on this interpreter."""

import json
import os
import unittest

from loopscope import _protocol as p

SCHEMA = os.path.join(os.path.dirname(__file__), "..", "..", "protocol", "schema.json")


class ProtocolTest(unittest.TestCase):
    def setUp(self):
        with open(SCHEMA, encoding="utf-8") as f:
            self.schema = json.load(f)

    def batch(self, *events):
        return {"kind": p.EVENTS_BATCH, "seq": 1, "dropped": 0, "events": list(events)}

    def task_created(self, **changes):
        ev = {
            "kind": p.TASK_CREATED,
            "task": 1,
            "loop": 1,
            "ts": 10,
            "name": "Task-1",
            "coro": "main",
            "site": None,
            "parent": None,
            "eager": False,
        }
        ev.update(changes)
        return ev

    def test_version_and_kinds_match_the_schema(self):
        self.assertEqual(p.PROTOCOL_VERSION, self.schema["version"])
        self.assertEqual(set(p.MESSAGE_KINDS), set(self.schema["messages"]))
        self.assertEqual(set(p.EVENT_KINDS), set(self.schema["events"]))
        self.assertEqual(p.TASK_CREATED, "task/created")
        self.assertEqual(p.TASK_CANCEL_REQUESTED, "task/cancel-requested")

    def test_accepts_good_messages(self):
        hello = {"kind": p.SESSION_HELLO, "protocol": p.PROTOCOL_VERSION, "token": "t", "role": "runtime", "pid": 42}
        self.assertIsNone(p.validate(hello))
        self.assertIsNone(p.validate(self.batch(self.task_created(), self.task_created(task=2, parent=1))))
        # Extra fields are fine: a newer minor version may add optional ones.
        self.assertIsNone(p.validate(self.batch(self.task_created(added_later=[1]))))

    def test_rejects_bad_messages(self):
        self.assertEqual(p.validate([]), "message must be an object, got list")
        self.assertEqual(p.validate({"kind": "nope/nope"}), "unknown message kind 'nope/nope'")
        self.assertEqual(p.validate({"kind": p.TASK_CREATED}), "unknown message kind 'task/created'")
        self.assertEqual(
            p.validate({"kind": p.SESSION_HELLO, "protocol": "1.0", "role": "runtime"}),
            'session/hello: missing field "token"',
        )
        self.assertEqual(
            p.validate(self.batch(self.task_created(), self.task_created(eager=1))),
            "events/batch.events[1]: task/created.eager: expected bool, got int",
        )
        self.assertEqual(
            p.validate(self.batch(self.task_created(ts=True))),
            "events/batch.events[0]: task/created.ts: expected int, got bool",
        )
        self.assertEqual(
            p.validate(self.batch(self.task_created(name=None))),
            "events/batch.events[0]: task/created.name: expected str, got null",
        )

    def test_field_tables(self):
        self.assertEqual(p.FIELDS[p.LOOP_RESUMED], ("loop", "ts"))
        self.assertEqual(p.OPTIONAL[p.CONTROL_RESPONSE], ("body", "error"))
        for kind, fields in list(self.schema["messages"].items()) + list(self.schema["events"].items()):
            names = [k for k in fields if not k.startswith("$")]
            self.assertEqual(p.FIELDS[kind], tuple(k for k in names if not k.endswith("?")), kind)

    def test_check_version(self):
        self.assertIsNone(p.check_version(p.PROTOCOL_VERSION))
        self.assertIsNone(p.check_version("%d.99" % p.PROTOCOL_MAJOR))
        err = p.check_version("%d.0" % (p.PROTOCOL_MAJOR + 1), "extension")
        self.assertIn("Loopscope protocol mismatch: extension speaks", err)
        self.assertIn("malformed", p.check_version("1"))


if __name__ == "__main__":
    unittest.main()


class PackedTest(unittest.TestCase):
    """Packed int lists (schema type ``packed``): base64 of little-endian int64s."""

    def test_round_trip_and_known_text(self):
        from loopscope.packed import pack, unpack

        values = [1, 2, 3, 4]
        self.assertEqual(pack(values).data, b"AQAAAAAAAAACAAAAAAAAAAMAAAAAAAAABAAAAAAAAAA=")
        for values in ([], [0], [-1, 2**53 - 1, -(2**53 - 1), 1234567890123], list(range(-500, 500, 7))):
            self.assertEqual(unpack(pack(values)), values)
            self.assertEqual(unpack(values), values)

    def test_beyond_int64_stays_a_list(self):
        from loopscope.packed import pack

        self.assertEqual(pack([1, 2**70]), [1, 2**70])

    def test_validation(self):
        from loopscope.packed import pack

        def steps(data):
            return {"kind": p.EVENTS_BATCH, "seq": 1, "dropped": 0, "events": [{"kind": p.TASK_STEPS, "loop": 1, "data": data}]}

        self.assertIsNone(p.validate(steps(pack([1, 2, 3, 0]).data.decode("ascii"))))
        self.assertIsNone(p.validate(steps([1, 2, 3, 0])))
        for bad in ("AQAAAA==", "nope", "AQAAAAAAAA*=", 5, [1.5]):
            self.assertIsNotNone(p.validate(steps(bad)), bad)

    def test_wire_encode_writes_packed_text_as_a_json_string(self):
        from loopscope import wire
        from loopscope.packed import pack, unpack

        msg = {"kind": p.EVENTS_BATCH, "seq": 1, "dropped": 0, "events": [{"kind": p.TASK_STEPS, "loop": 1, "data": pack([5, 6, 7, 0])}]}
        line = wire.encode(msg)
        self.assertTrue(line.endswith(b"\n"))
        back = json.loads(line)
        self.assertEqual(unpack(back["events"][0]["data"]), [5, 6, 7, 0])
        self.assertIsNone(p.validate(back))

    def test_a_program_string_equal_to_the_marker_changes_nothing(self):
        from loopscope import wire
        from loopscope.packed import pack, unpack

        marker = "\x00loopscope-packed\x00"
        msg = {
            "kind": p.EVENTS_BATCH,
            "seq": 1,
            "dropped": 0,
            "events": [
                {"kind": p.TASK_RENAMED, "task": 1, "ts": 1, "name": marker},
                {"kind": p.TASK_STEPS, "loop": 1, "data": pack([1, 2, 3, 0])},
            ],
        }
        back = json.loads(wire.encode(msg))
        self.assertEqual(back["events"][0]["name"], marker)
        self.assertEqual(unpack(back["events"][1]["data"]), [1, 2, 3, 0])
