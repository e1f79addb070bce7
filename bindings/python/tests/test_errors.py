"""MkError and the error-code table."""

import pickle
import unittest

import _support
import mk
from mk import errors


class TestErrors(unittest.TestCase):
    def test_codes_match_the_library(self):
        for name, code in errors._CODES.items():
            self.assertEqual(mk.err_name(code), "MK_" + name)
            self.assertEqual(getattr(mk, "MK_" + name), code)
            self.assertNotEqual(mk.strerror(code), "unknown error")
        # The table has no gap at its end: the next number is unknown.
        last = min(errors._CODES.values())
        self.assertEqual(mk.err_name(last - 1), "MK_UNKNOWN")

    def test_mkerror_carries_code_name_message(self):
        e = mk.MkError(mk.MK_ENOENT)
        self.assertIsInstance(e, mk.NotFound)
        self.assertIsInstance(e, mk.MkError)
        self.assertEqual(e.code, -2)
        self.assertEqual(e.name, "MK_ENOENT")
        self.assertEqual(e.message, "no such object")
        self.assertIn("MK_ENOENT", str(e))

    def test_subclass_per_common_code(self):
        pairs = [(mk.MK_EINVAL, mk.InvalidArgument),
                 (mk.MK_EEXIST, mk.AlreadyExists),
                 (mk.MK_EAGAIN, mk.WouldBlock),
                 (mk.MK_EBADH, mk.BadHandle),
                 (mk.MK_EQUOTA, mk.QuotaExceeded),
                 (mk.MK_EPERM, mk.PermissionDenied),
                 (mk.MK_ENOFS, mk.NotAFileSystem)]
        for code, cls in pairs:
            self.assertIs(type(mk.MkError(code)), cls)
            self.assertEqual(cls.CODE, code)
        # A code without a subclass is a plain MkError.
        self.assertIs(type(mk.MkError(mk.MK_EXDEV)), mk.MkError)
        self.assertEqual(mk.MkError(-999).name, "MK_UNKNOWN")

    def test_context_in_message_and_pickle(self):
        e = mk.MkError(mk.MK_EBUSY, "mk_vfs_unmount")
        self.assertTrue(str(e).startswith("mk_vfs_unmount: MK_EBUSY"))
        e2 = pickle.loads(pickle.dumps(e))
        self.assertIs(type(e2), mk.Busy)
        self.assertEqual(e2.code, mk.MK_EBUSY)

    def test_check(self):
        self.assertEqual(errors.check(5), 5)
        with self.assertRaises(mk.TimedOut):
            errors.check(mk.MK_ETIMEDOUT)


if __name__ == "__main__":
    _support.main()
