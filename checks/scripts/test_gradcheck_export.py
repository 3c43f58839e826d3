"""Tests of scripts/gradcheck-export, run by `make check` (make check-export).

The numpy path always runs (python3-numpy is installed by install-deps);
the scikit-learn and PyTorch paths run when Debian's python3-sklearn and
python3-torch are installed and are skipped, saying so, when not.  Every
export is then checked by the built gradcheck (env GC_BIN) with --expect:
the exporter is right only if gradcheck's loss and finite differences
agree with the tool's own values, and each test also spoils one thing
(a transpose, a factor, one element) to see the comparison fail.
"""

import importlib.machinery
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import unittest

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
EXPORTER = os.path.join(ROOT, "scripts", "gradcheck-export")
GC = os.environ.get("GC_BIN", os.path.join(ROOT, "build", "gradcheck"))


def _load_module():
    loader = importlib.machinery.SourceFileLoader("gradcheck_export", EXPORTER)
    spec = importlib.util.spec_from_loader("gradcheck_export", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


ge = _load_module()


def _have(name):
    return importlib.util.find_spec(name) is not None


HAVE_SK = _have("sklearn")
HAVE_TORCH = _have("torch")


def read_json(path):
    with open(path) as f:
        return json.load(f)


def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f)


def gradcheck(*args):
    p = subprocess.run([GC] + list(args), capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


class Tmp(unittest.TestCase):
    def setUp(self):
        self._d = tempfile.TemporaryDirectory()
        self.d = self._d.name

    def tearDown(self):
        self._d.cleanup()

    def path(self, name):
        return os.path.join(self.d, name)

    def assert_expect_passes(self, net, expect, *extra):
        rc, out, err = gradcheck("--net", net, "--expect", expect, *extra)
        self.assertEqual(rc, 0, out[-3000:] + err)
        self.assertIn("\nexpect: PASS (", out)
        return out

    def assert_expect_fails(self, net, expect, want, *extra):
        rc, out, err = gradcheck("--net", net, "--expect", expect, *extra)
        self.assertEqual(rc, 1, out[-3000:] + err)
        self.assertIn(want, out)
        return out


def classic_numpy(W1, b1, W2, b2, x, y):
    """The classic notes' 2-layer sigmoid network with binary cross-entropy,
    by hand in numpy (one column per example): the user's own code whose
    gradients --expect is to check.  Returns loss and gradients."""
    X, T = x.T, y.T
    B = X.shape[1]
    sig = lambda z: 1.0 / (1.0 + np.exp(-z))
    a1 = sig(W1 @ X + b1[:, None])
    a2 = sig(W2 @ a1 + b2[:, None])
    loss = -np.mean(T * np.log(a2) + (1 - T) * np.log(1 - a2))
    dz2 = (a2 - T) / (B * T.shape[0])
    dz1 = (W2.T @ dz2) * a1 * (1 - a1)
    return loss, {"W1": dz1 @ X.T, "b1": dz1.sum(1), "W2": dz2 @ a1.T, "b2": dz2.sum(1)}


class NumpyPath(Tmp):
    def arrays(self, seed=1):
        rng = np.random.default_rng(seed)
        W1, b1 = rng.normal(size=(4, 3)), rng.normal(size=4)
        W2, b2 = rng.normal(size=(2, 4)), rng.normal(size=2)
        x = rng.normal(size=(5, 3))
        y = (rng.random(size=(5, 2)) > 0.5).astype(float)
        return W1, b1, W2, b2, x, y

    def test_values_round_trip_bit_for_bit(self):
        W1, b1, W2, b2, x, y = self.arrays()
        ge.export_arrays([W1, W2], [b1, b2], "sigmoid", "bce", x, y, net=self.path("n.json"))
        d = read_json(self.path("n.json"))
        self.assertEqual([l["type"] for l in d["layers"]], ["dense", "sigmoid", "dense", "sigmoid"])
        self.assertTrue(np.array_equal(np.array(d["layers"][0]["W"]), W1))
        self.assertTrue(np.array_equal(np.array(d["layers"][2]["b"]), b2))
        self.assertTrue(np.array_equal(np.array(d["x"]), x))
        rc, out, err = gradcheck("--net", self.path("n.json"))
        self.assertEqual(rc, 0, out + err)

    def test_hand_written_backprop_checked_by_expect(self):
        W1, b1, W2, b2, x, y = self.arrays()
        loss, g = classic_numpy(W1, b1, W2, b2, x, y)
        np.savez(self.path("a.npz"), W1=W1, b1=b1, W2=W2, b2=b2, x=x, y=y, loss=loss,
                 **{"grad_" + k: v for k, v in g.items()})
        p = subprocess.run([EXPORTER, "npz", self.path("a.npz"), "--act", "sigmoid", "--loss",
                            "bce", "-o", self.path("n.json"), "--expect", self.path("e.json")],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("gradcheck-export: wrote ", p.stderr)
        self.assert_expect_passes(self.path("n.json"), self.path("e.json"))
        # the same code with a bug: dW2 from the pre-activation's mean forgotten (x B)
        g["W2"] = g["W2"] * x.shape[0]
        np.savez(self.path("b.npz"), W1=W1, b1=b1, W2=W2, b2=b2, x=x, y=y, loss=loss,
                 **{"grad_" + k: v for k, v in g.items()})
        ge.save(ge.load_npz(self.path("b.npz"), "sigmoid", "bce"), self.path("n2.json"),
                self.path("e2.json"))
        self.assert_expect_fails(self.path("n2.json"), self.path("e2.json"),
                                 "expect: FAIL: W2: the finite difference refutes the tool's")

    def test_in_out_layout_is_detected_and_transposed(self):
        W1, b1, W2, b2, x, y = self.arrays()
        with self.assertRaises(ge.ExportError) as c:
            ge.export_arrays([W1.T, W2.T], [b1, b2], "tanh", "mse", x, y)
        self.assertIn("W1 is 3x4: gradcheck wants out x in", str(c.exception))
        self.assertIn("--layout in-out", str(c.exception))
        ex = ge.export_arrays([W1.T, W2.T], [b1, b2], "tanh", "mse", x, y, layout="in-out")
        self.assertTrue(np.array_equal(ex.layers[0]["W"], W1))
        self.assertIn("weights given in x out, transposed to gradcheck's out x in", ex.notes)

    def test_softmax_ce_labels_become_one_hot(self):
        W1, b1, W2, b2, x, _ = self.arrays()
        labels = np.array([0, 1, 1, 0, 1])
        ex = ge.export_arrays([W1, W2], [b1, b2], "tanh,identity", "softmax_ce", x, labels)
        self.assertTrue(np.array_equal(ex.y, np.eye(2)[labels]))
        with self.assertRaises(ge.ExportError) as c:
            ge.export_arrays([W1, W2], [b1, b2], "tanh", "softmax_ce", x, np.array([0, 2, 1, 0, 1]))
        self.assertIn("class labels must be 0 to 1", str(c.exception))

    def test_bad_input_is_one_line_and_exit_2(self):
        W1, b1, W2, b2, x, y = self.arrays()
        np.savez(self.path("a.npz"), W1=W1, b1=b1, W2=W2, x=x, y=y)
        cases = [
            (["npz", self.path("a.npz"), "--act", "sigmoid", "--loss", "bce"], "W2 without b2"),
            (["npz", self.path("a.npz"), "--loss", "bce"], "npz: give --act and --loss"),
            (["npz", self.path("none.npz"), "--act", "tanh", "--loss", "mse"], "cannot read"),
            (["torch", self.path("a.npz"), "--loss", "mse"], "torch: give --data"),
            (["sklearn", self.path("a.npz"), "--data", self.path("a.npz")],
             "cannot load as a pickle"),
            (["keras", self.path("a.npz")], "argument kind: invalid choice: 'keras'"),
            (["npz", self.path("a.npz"), "--examples", "x"], "--examples: invalid int value"),
        ]
        for args, want in cases:
            p = subprocess.run([EXPORTER] + args + ["-o", self.path("n.json")],
                               capture_output=True, text=True)
            self.assertEqual(p.returncode, 2, (args, p.stderr))
            self.assertEqual(p.stderr.count("\n"), 1, p.stderr)
            self.assertTrue(p.stderr.startswith("gradcheck-export: "), p.stderr)
            self.assertIn(want, p.stderr)
            self.assertFalse(os.path.exists(self.path("n.json")))

    def test_examples_with_given_gradients_is_refused(self):
        W1, b1, W2, b2, x, y = self.arrays()
        with self.assertRaises(ge.ExportError) as c:
            ge.export_arrays([W1, W2], [b1, b2], "sigmoid", "bce", x, y, examples=2,
                             tool_loss=1.0, tool_grad={"W1": W1})
        self.assertIn("means over all the examples", str(c.exception))


@unittest.skipUnless(HAVE_SK, "python3-sklearn is not installed: scikit-learn export untested")
class SklearnPath(Tmp):
    def data(self, n=60, k=4, seed=0):
        rng = np.random.default_rng(seed)
        return rng.normal(size=(n, k)), rng

    def export(self, model, x, y, **kw):
        ex = ge.export_sklearn(model, x, y, net=self.path("n.json"), expect=self.path("e.json"),
                               **kw)
        return ex, read_json(self.path("e.json"))

    def test_regressor_k_outputs_factor(self):
        import warnings
        from sklearn.neural_network import MLPRegressor
        x, rng = self.data()
        y = rng.normal(size=(60, 3))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m = MLPRegressor(hidden_layer_sizes=(5,), activation="tanh", max_iter=50,
                             random_state=0).fit(x, y)
        ex, e = self.export(m, x, y)
        self.assertEqual(ex.loss, "mse")
        self.assertTrue(any("scikit-learn issue #8349" in n for n in e["notes"]))
        self.assert_expect_passes(self.path("n.json"), self.path("e.json"))
        # scikit-learn's raw gradient is k/2 = 1.5 times gradcheck's mse gradient:
        # exported without the 2/k factor, --expect must fail in every tensor
        sk_loss, cg, ig = ge._sk_backprop(m, x, y)
        self.assertTrue(np.allclose(cg[0].T, np.array(e["grad"]["W1"]) * 1.5, rtol=1e-12))
        self.assertAlmostEqual(e["loss"], 2 * sk_loss, delta=1e-15 * e["loss"])
        e["grad"] = {k: (np.array(v) * 1.5).tolist() for k, v in e["grad"].items()}
        write_json(self.path("raw.json"), e)
        self.assert_expect_fails(self.path("n.json"), self.path("raw.json"),
                                 "expect: FAIL: W1: the finite difference refutes the tool's")

    def test_classifiers_binary_multiclass_multilabel(self):
        import warnings
        from sklearn.neural_network import MLPClassifier
        x, rng = self.data()
        ys = {"binary": rng.integers(0, 2, 60), "multiclass": rng.integers(0, 3, 60),
              "multilabel": rng.integers(0, 2, (60, 3))}
        want = {"binary": "bce_logits", "multiclass": "softmax_ce", "multilabel": "bce_logits"}
        for kind, y in ys.items():
            with self.subTest(kind=kind), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                m = MLPClassifier(hidden_layer_sizes=(6,), activation="relu", max_iter=40,
                                  random_state=0).fit(x, y)
                ex, e = self.export(m, x, y)
                self.assertEqual(ex.loss, want[kind])
                self.assert_expect_passes(self.path("n.json"), self.path("e.json"))

    def test_square_weights_without_transpose_blame_the_export(self):
        import warnings
        from sklearn.neural_network import MLPClassifier
        x, rng = self.data()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m = MLPClassifier(hidden_layer_sizes=(4,), activation="tanh", max_iter=40,
                              random_state=0).fit(x, rng.integers(0, 3, 60))
        self.export(m, x, rng.integers(0, 3, 60))
        d = read_json(self.path("n.json"))
        d["layers"][0]["W"] = [list(r) for r in zip(*d["layers"][0]["W"])]
        write_json(self.path("bad.json"), d)
        self.assert_expect_fails(self.path("bad.json"), self.path("e.json"),
                                 "the network file is not the tool's function")

    def test_not_an_mlp_is_refused(self):
        from sklearn.linear_model import LinearRegression
        x, rng = self.data()
        with self.assertRaises(ge.ExportError) as c:
            ge.export_sklearn(LinearRegression().fit(x, x[:, 0]), x, x[:, 0])
        self.assertIn("expected a scikit-learn MLPClassifier or MLPRegressor, got "
                      "LinearRegression", str(c.exception))


@unittest.skipUnless(HAVE_TORCH, "python3-torch is not installed: PyTorch export untested")
class TorchPath(Tmp):
    def model(self, *mods, dtype=None):
        import torch
        torch.manual_seed(0)
        m = torch.nn.Sequential(*mods)
        return m.to(dtype) if dtype is not None else m

    def test_every_supported_module_and_loss(self):
        import torch
        from torch import nn
        rng = np.random.default_rng(3)
        x = rng.normal(size=(6, 3))
        cases = [
            ((nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2), nn.Sigmoid()), "bce",
             rng.random((6, 2))),
            ((nn.Linear(3, 4), nn.LeakyReLU(0.2), nn.Linear(4, 2)), "bce_logits",
             (rng.random((6, 2)) > 0.5) * 1.0),
            ((nn.Linear(3, 4), nn.ELU(0.7), nn.Linear(4, 4), nn.GELU(), nn.Linear(4, 2)), "mse",
             rng.normal(size=(6, 2))),
            ((nn.Linear(3, 5), nn.Softplus(), nn.Linear(5, 3), nn.Identity()), "softmax_ce",
             rng.integers(0, 3, 6)),
            ((nn.Linear(3, 3), nn.Softmax(dim=1)), "bce", rng.random((6, 3))),
        ]
        for mods, loss, y in cases:
            with self.subTest(loss=loss):
                m = self.model(*mods)
                ex = ge.export_torch(m, x, y, loss, net=self.path("n.json"),
                                     expect=self.path("e.json"))
                self.assertTrue(any("float32" in n for n in ex.notes))
                self.assert_expect_passes(self.path("n.json"), self.path("e.json"), "--inputs")

    def test_refusals(self):
        from torch import nn
        x = np.full((2, 3), 30.0)
        cases = [
            ((nn.Linear(3, 2), nn.Softplus(beta=2)), "beta=2"),
            ((nn.Identity(), nn.Softplus(), nn.Linear(3, 1)), "exceed threshold=20"),
            ((nn.Linear(3, 2), nn.GELU(approximate="tanh")), "approximate='tanh'"),
            ((nn.Linear(3, 2, bias=False),), "bias=False"),
            ((nn.Linear(3, 2), nn.Dropout()), "model[1] Dropout: not supported"),
            ((nn.Linear(3, 2), nn.Softmax(dim=0)), "dim=0"),
        ]
        for mods, want in cases:
            with self.subTest(want=want):
                with self.assertRaises(ge.ExportError) as c:
                    ge.export_torch(self.model(*mods), x, np.zeros((2, 2)), "mse")
                self.assertIn(want, str(c.exception))

    def test_saved_model_through_the_command(self):
        import torch
        from torch import nn
        m = self.model(nn.Linear(3, 3), nn.ReLU(), nn.Linear(3, 2))
        torch.save(m, self.path("m.pt"))
        torch.save(m.state_dict(), self.path("sd.pt"))
        rng = np.random.default_rng(4)
        np.savez(self.path("d.npz"), x=rng.normal(size=(5, 3)), y=rng.integers(0, 2, 5))
        base = [EXPORTER, "torch", self.path("m.pt"), "--data", self.path("d.npz"), "--loss",
                "softmax_ce", "-o", self.path("n.json"), "--expect", self.path("e.json")]
        p = subprocess.run(base, capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assert_expect_passes(self.path("n.json"), self.path("e.json"), "--inputs")
        base[2] = self.path("sd.pt")
        p = subprocess.run(base, capture_output=True, text=True)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("holds a state_dict, not a model", p.stderr)
        # the tool's gradient 1% wrong in one element: exit 1 naming W2, the tool
        e = read_json(self.path("e.json"))
        e["grad"]["W2"][1][2] *= 1.01
        write_json(self.path("e1.json"), e)
        out = self.assert_expect_fails(self.path("n.json"), self.path("e1.json"),
                                       "expect: FAIL: W2: the finite difference refutes the tool's")
        self.assertIn("\nW2        (1,2) ", out)


if __name__ == "__main__":
    unittest.main(verbosity=2)
