"""A word-level language model (RNN / LSTM / causal Transformer) on a PTB-style corpus.

    python examples/language_model.py --model lstm               # bundled corpus (no download)
    python examples/language_model.py --model transformer
    python examples/language_model.py --data-dir DIR             # train.txt / valid.txt / test.txt
    python examples/language_model.py --generate 50 --temperature 0.8

Models (the course's hw4 language models):

* ``rnn`` / ``lstm``: Embedding -> ``--layers`` x [nn.RNN (tanh) | nn.LSTM] (each a ``lax.scan``
  over time) with dropout between layers -> Linear to the vocabulary.  Trained by truncated
  back-propagation through time: the token stream is cut into ``--batch-size`` columns, read
  ``--bptt`` steps at a time, and the hidden state is carried from one segment to the next with
  ``lax.stop_gradient`` in between (reset at the start of each epoch).
* ``transformer``: token embedding + learned positional embedding -> ``--layers`` pre-norm
  nn.TransformerBlock (multi-head causal self-attention, GELU MLP, dropout) -> LayerNorm -> Linear;
  windows of ``--seq-len`` tokens, no state between them.

SGD or Adam (cosine-decayed learning rate) after gradient-norm clipping (``--clip``), under
``fnx.jit(fnx.value_and_grad(...))``.  Prints the train and validation perplexity per epoch;
history.json, curves.png and the checkpoint go to ``--out``.  The checkpoint holds the model,
optimizer state, PRNG key, carried hidden state and the position in the epoch loop (epoch and
segment), so ``--resume`` continues exactly; ``--save-every N`` also checkpoints every N segments
inside an epoch.  The last line is ``final val_ppl <v> in <s> s``.
"""
from __future__ import annotations

import argparse
import math
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fnx  # noqa: E402
import fnx.nn as nn  # noqa: E402
import fnx.numpy as fnp  # noqa: E402
import fnx.optim as optim  # noqa: E402
from fnx import data, lax  # noqa: E402
from common import _progress, _read_history, _write_history, save_panels  # noqa: E402

EVAL_BATCH = 10     # validation columns (as PyTorch's word_language_model example)
ARRAY_FIELDS = ("model", "opt_state", "key", "carry")    # of the training-loop state


# -------------------------------------------------------------------------------------------
# Models.  Both take token ids of shape (seq_len, batch) and a carry, and return logits of shape
# (seq_len, batch, vocab) and the next carry, so one training loop serves both.
# -------------------------------------------------------------------------------------------

def _split_key(key, n):
    return [None] * n if key is None else list(fnx.random.split(key, n))


def _uniform(key, shape, bound):
    return fnx.random.uniform(key, shape, minval=-bound, maxval=bound)


class RecurrentLM(nn.Module):
    """Embedding -> layers x (RNN | LSTM) with dropout between -> Linear(hidden, vocab)."""

    def __init__(self, vocab, embed, hidden, layers, cell="lstm", dropout=0.0, *, key):
        keys = fnx.random.split(key, layers + 3)
        # PyTorch's word_language_model init: small uniform embedding and decoder, zero bias
        self.embedding = nn.Embedding(vocab, embed, key=keys[0]).replace(
            weight=_uniform(keys[1], (vocab, embed), 0.1))
        layer = nn.LSTM if cell == "lstm" else nn.RNN
        self.layers = [layer(embed if i == 0 else hidden, hidden, key=keys[i + 2])
                       for i in range(layers)]
        decoder = nn.Linear(hidden, vocab, key=keys[-1])
        self.decoder = decoder.replace(weight=_uniform(keys[-1], (vocab, hidden), 0.1),
                                       bias=fnp.zeros((vocab,)))
        self.dropout = nn.Dropout(dropout)
        self.cell, self.hidden = cell, int(hidden)

    def initial_carry(self, batch):
        """Zero hidden states, one per layer: (1, batch, hidden) arrays ((h, c) for an LSTM)."""
        z = fnp.zeros((1, batch, self.hidden))
        return [(z, z) if self.cell == "lstm" else z for _ in self.layers]

    def __call__(self, ids, carry, *, key=None, train=False):
        keys = _split_key(key, len(self.layers) + 1)
        x = self.dropout(self.embedding(ids), key=keys[0], train=train)
        new_carry = []
        for layer, c, k in zip(self.layers, carry, keys[1:]):
            x, c = layer(x, c)
            x = self.dropout(x, key=k, train=train)
            new_carry.append(c)
        return self.decoder(x), new_carry


class TransformerLM(nn.Module):
    """Token + learned positional embedding -> pre-norm causal blocks -> LayerNorm -> Linear."""

    def __init__(self, vocab, d_model, heads, layers, max_len, dropout=0.0, *, key):
        keys = fnx.random.split(key, layers + 3)
        # GPT-2's init for the embeddings: N(0, 0.02)
        self.tok = nn.Embedding(vocab, d_model, key=keys[0])
        self.tok = self.tok.replace(weight=0.02 * fnx.random.normal(keys[0], (vocab, d_model)))
        self.pos = nn.Embedding(max_len, d_model, key=keys[1])
        self.pos = self.pos.replace(weight=0.02 * fnx.random.normal(keys[1], (max_len, d_model)))
        self.blocks = [nn.TransformerBlock(d_model, heads, 4 * d_model, dropout, key=keys[i + 2])
                       for i in range(layers)]
        self.norm = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, vocab, key=keys[-1])
        self.dropout = nn.Dropout(dropout)
        self.max_len = int(max_len)

    def initial_carry(self, batch):
        return []           # windows are independent: nothing is carried

    def __call__(self, ids, carry, *, key=None, train=False):
        t = ids.shape[0]
        if t > self.max_len:
            raise fnx.errors.InvalidArgumentError(
                f"TransformerLM: a window of {t} tokens is longer than --seq-len {self.max_len}")
        keys = _split_key(key, len(self.blocks) + 1)
        x = self.tok(fnp.transpose(ids)) + self.pos(fnp.arange(t))[None]      # (batch, t, d)
        x = self.dropout(x, key=keys[0], train=train)
        for block, k in zip(self.blocks, keys[1:]):
            x = block(x, causal=True, key=k, train=train)
        return fnp.transpose(self.head(self.norm(x)), (1, 0, 2)), carry


def build_model(args, vocab, key):
    if args.model == "transformer":
        return TransformerLM(vocab, args.hidden, args.heads, args.layers, args.seq_len,
                             args.dropout, key=key)
    return RecurrentLM(vocab, args.embed, args.hidden, args.layers, args.model, args.dropout,
                       key=key)


# -------------------------------------------------------------------------------------------
# Steps
# -------------------------------------------------------------------------------------------

def make_optimizer(args, total_steps):
    lr = optim.cosine_decay_schedule(args.lr, max(total_steps, 1), alpha=0.05)
    base = optim.sgd(lr) if args.optimizer == "sgd" else optim.adam(lr)
    return optim.chain(optim.clip_by_global_norm(args.clip), base) if args.clip > 0 else base


def make_steps(opt):
    def loss_fn(model, ids, targets, carry, key):
        logits, carry = model(ids, carry, key=key, train=True)
        loss = nn.softmax_cross_entropy(logits.reshape(-1, logits.shape[-1]), targets)
        return loss, carry

    @fnx.jit
    def train_step(model, opt_state, carry, ids, targets, key):
        # truncated BPTT: the state flows on from the last segment, its gradient does not
        carry = lax.stop_gradient(carry)
        (loss, carry), grads = fnx.value_and_grad(loss_fn, has_aux=True)(
            model, ids, targets, carry, key)
        updates, opt_state = opt.update(grads, opt_state, model)
        return optim.apply_updates(model, updates), opt_state, carry, loss

    @fnx.jit
    def eval_step(model, carry, ids, targets):
        logits, carry = model(ids, carry)
        loss = nn.softmax_cross_entropy(logits.reshape(-1, logits.shape[-1]), targets,
                                        reduction="sum")
        return loss, carry

    return train_step, eval_step


def segment_starts(source, length, full_only):
    """Row offsets of the consecutive (length)-row segments of a batchified stream."""
    n = source.shape[0] - 1           # the last row is only ever a target
    last = n - length if full_only else n - 1
    return list(range(0, last + 1, length))


def _identity(tree):
    return tree


def evaluate(eval_step, model, source, length, to_device=_identity):
    """Perplexity of ``model`` on a batchified stream (every token, the short tail included)."""
    carry = to_device(model.initial_carry(source.shape[1]))
    total, count = 0.0, 0
    for i in segment_starts(source, length, full_only=False):
        x, y = data.get_batch(source, i, length)
        loss, carry = eval_step(model, carry, *to_device((fnp.asarray(x), fnp.asarray(y))))
        total += float(loss)
        count += y.shape[0]
    return math.exp(total / count)


def generate(model, dictionary, n_tokens, temperature, window, key, to_device=_identity):
    """Sample ``n_tokens`` words autoregressively, starting after an ``<eos>``.

    The recurrent models step one token at a time with the carry; the Transformer reads a
    fixed-size window (so one compiled step serves every length), with the prompt left-aligned
    and the logits read at its last position -- causal attention makes the padding invisible.
    """
    start = dictionary.word2idx.get(data.text.EOS, 0)
    recurrent = isinstance(model, RecurrentLM)

    @fnx.jit
    def sample(model, carry, ids, pos, key):
        logits, carry = model(ids, carry)
        last = lax.dynamic_index_in_dim(logits[:, 0], pos, axis=0, keepdims=False)
        return fnx.random.categorical(key, last / temperature), carry

    carry = to_device(model.initial_carry(1))
    context = [start]
    words = []
    for _ in range(n_tokens):
        key, k = fnx.random.split(key)
        if recurrent:
            ids, pos = np.asarray([[context[-1]]], np.int32), 0
        else:
            ctx = context[-window:]
            ids = np.full((window, 1), start, np.int32)
            ids[:len(ctx), 0] = ctx
            pos = len(ctx) - 1
        tok, carry = sample(model, carry, *to_device((fnp.asarray(ids),
                                                      fnp.asarray(pos, fnp.int32), k)))
        context.append(int(tok))
        words.append(dictionary.idx2word[int(tok)])
    return words


# -------------------------------------------------------------------------------------------
# Training loop with exact resume
# -------------------------------------------------------------------------------------------

def save_curves(history, path) -> bool:
    """Train and validation perplexity per epoch (log scale)."""
    return save_panels(history, path, [
        ("language model", "perplexity", [("train_ppl", "train"), ("val_ppl", "validation")],
         "log")])


def load_corpus(args):
    corpus = data.Corpus(args.data_dir) if args.data_dir else data.load_text_corpus()
    if args.max_tokens:
        corpus.train = corpus.train[:args.max_tokens]
        corpus.valid = corpus.valid[:max(args.max_tokens // 4, 2 * EVAL_BATCH)]
    if corpus.valid.size < 2 * EVAL_BATCH:
        sys.exit("language_model: the corpus needs a valid.txt split (validation perplexity)")
    return corpus


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", choices=("rnn", "lstm", "transformer"), default="lstm")
    p.add_argument("--data-dir", default=None,
                   help="PTB-style corpus folder (train.txt, valid.txt, test.txt)")
    p.add_argument("--max-tokens", type=int, default=None,
                   help="use only the first N training tokens (quick runs)")
    p.add_argument("--epochs", type=int, default=None, help="default 6")
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--hidden", type=int, default=128, help="recurrent state / model width")
    p.add_argument("--embed", type=int, default=128, help="word embedding size (rnn / lstm)")
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--bptt", type=int, default=35, help="truncated-BPTT segment (rnn / lstm)")
    p.add_argument("--seq-len", type=int, default=64, help="context window (transformer)")
    p.add_argument("--batch-size", type=int, default=None, help="default 32 (16 for transformer)")
    p.add_argument("--optimizer", choices=("sgd", "adam"), default=None,
                   help="default: sgd for rnn / lstm, adam for the transformer")
    p.add_argument("--lr", type=float, default=None, help="default: 20 (sgd), 1e-3 (adam)")
    p.add_argument("--clip", type=float, default=None,
                   help="gradient global-norm bound, 0 = none (default 0.25 sgd, 1.0 adam)")
    p.add_argument("--dropout", type=float, default=0.2)
    p.add_argument("--generate", type=int, default=0, metavar="N",
                   help="after training, sample N words and print them")
    p.add_argument("--temperature", type=float, default=1.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=None, help="checkpoint, history and plot folder")
    p.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.fnx")
    p.add_argument("--stop-after", type=int, default=None, metavar="N",
                   help="stop after N epochs of this run (continue later with --resume)")
    p.add_argument("--save-every", type=int, default=0, metavar="N",
                   help="also checkpoint every N segments inside an epoch")
    p.add_argument("--stop-after-segments", type=int, default=None, metavar="N",
                   help="stop (after checkpointing) once this run has trained N segments")
    p.add_argument("--no-progress", action="store_true", help="no tqdm progress bars")
    p.add_argument("--device", default="cpu",
                   help="cpu, cuda or cuda:N (a GPU needs cupy: pip install -e '.[cuda]')")
    args = p.parse_args(argv)
    tf = args.model == "transformer"
    defaults = {"epochs": 6,
                "batch_size": 16 if tf else 32, "optimizer": "adam" if tf else "sgd",
                "out": f"runs/lm_{args.model}"}
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    sgd = args.optimizer == "sgd"
    if args.lr is None:
        args.lr = 20.0 if sgd else 1e-3
    if args.clip is None:
        args.clip = 0.25 if sgd else 1.0
    if args.temperature <= 0:
        p.error("--temperature must be positive")
    return args


def main(argv=None) -> float:
    args = parse_args(argv)
    t_start = time.perf_counter()
    corpus = load_corpus(args)
    vocab = len(corpus.dictionary)
    length = args.seq_len if args.model == "transformer" else args.bptt
    train_src = data.batchify(corpus.train, args.batch_size)
    valid_src = data.batchify(corpus.valid, EVAL_BATCH)
    starts = segment_starts(train_src, length, full_only=True)   # one compiled train shape
    if not starts:
        sys.exit(f"language_model: {corpus.train.size} training tokens are too few for "
                 f"batch {args.batch_size} x length {length}")

    key, init_key = fnx.random.split(fnx.random.PRNGKey(args.seed))
    model = build_model(args, vocab, init_key)
    print(f"corpus: {corpus.train.size:,} train / {corpus.valid.size:,} valid tokens, vocabulary "
          f"{vocab:,}; {args.model} with {nn.count_params(model):,} parameters")
    opt = make_optimizer(args, args.epochs * len(starts))
    train_step, eval_step = make_steps(opt)

    # Everything the loop needs to continue exactly where it stopped: the position (epoch, next
    # segment), the carried hidden state and the epoch's running loss sums.
    loop = {"model": model, "opt_state": opt.init(model), "key": key,
            "carry": model.initial_carry(args.batch_size), "epoch": 0, "segment": 0,
            "loss_sum": 0.0, "tokens": 0}
    os.makedirs(args.out, exist_ok=True)
    ckpt_path = os.path.join(args.out, "checkpoint.fnx")
    history = []
    if args.resume and os.path.exists(ckpt_path):
        loop = dict(fnx.io.load(ckpt_path, like=loop))
        for name, kind in (("epoch", int), ("segment", int), ("loss_sum", float), ("tokens", int)):
            loop[name] = kind(loop[name])
        history = [h for h in _read_history(args.out) if h["epoch"] <= loop["epoch"]]
        print(f"resumed from {ckpt_path} at epoch {loop['epoch'] + 1}, segment {loop['segment']}")

    device = None if args.device == "cpu" else args.device
    to_device = (lambda tree: tree) if device is None else (
        lambda tree: fnx.device_put(tree, device))
    for name in ARRAY_FIELDS:
        loop[name] = to_device(loop[name])

    def checkpoint():
        # arrays to the host; the Python numbers stay Python numbers (device_put would make the
        # float64 loss sum a float32 array, and the resumed epoch's train_ppl would drift)
        host = {k: fnx.device_put(v) if k in ARRAY_FIELDS else v for k, v in loop.items()}
        fnx.io.save(ckpt_path, host)                         # written atomically

    last_epoch = args.epochs if args.stop_after is None else min(
        args.epochs, loop["epoch"] + args.stop_after)
    trained = 0
    while loop["epoch"] < last_epoch:
        epoch = loop["epoch"]
        t0 = time.perf_counter()
        todo = range(loop["segment"], len(starts))
        for s in _progress(todo, len(todo), f"epoch {epoch + 1}", not args.no_progress):
            x, y = data.get_batch(train_src, starts[s], length)
            loop["key"], step_key = fnx.random.split(loop["key"])
            loop["model"], loop["opt_state"], loop["carry"], loss = train_step(
                loop["model"], loop["opt_state"], loop["carry"], *to_device(
                    (fnp.asarray(x), fnp.asarray(y))), step_key)
            loop["loss_sum"] += float(loss) * y.shape[0]
            loop["tokens"] += int(y.shape[0])
            loop["segment"] = s + 1
            trained += 1
            stop = args.stop_after_segments is not None and trained >= args.stop_after_segments
            if s + 1 < len(starts) and ((args.save_every and (s + 1) % args.save_every == 0)
                                        or stop):
                checkpoint()
            if stop and s + 1 < len(starts):
                print(f"stopped at epoch {epoch + 1}, segment {s + 1} (continue with --resume)")
                return float("nan")
        val_ppl = evaluate(eval_step, loop["model"], valid_src, length, to_device)
        record = {"epoch": epoch + 1, "train_ppl": math.exp(loop["loss_sum"] / loop["tokens"]),
                  "val_ppl": val_ppl}
        history.append(record)
        print(f"epoch {epoch + 1:2d}  train ppl {record['train_ppl']:9.2f}  val ppl "
              f"{val_ppl:9.2f}  ({time.perf_counter() - t0:.1f} s)", flush=True)
        loop.update(epoch=epoch + 1, segment=0, loss_sum=0.0, tokens=0,
                    carry=to_device(loop["model"].initial_carry(args.batch_size)))
        checkpoint()
        _write_history(args.out, history)
        if args.stop_after_segments is not None and trained >= args.stop_after_segments:
            break

    if args.generate:
        gen_key = fnx.random.fold_in(fnx.random.PRNGKey(args.seed), 1)
        words = generate(loop["model"], corpus.dictionary, args.generate, args.temperature,
                         args.seq_len, gen_key, to_device)
        # one sentence a line, each ending in its <eos> (so the words can be counted back)
        text = " ".join(words).replace(f"{data.text.EOS} ", f"{data.text.EOS}\n")
        print(f"generated {len(words)} tokens (temperature {args.temperature}):\n{text}")
    curves = os.path.join(args.out, "curves.png")
    if history:
        save_curves(history, curves)
    final = history[-1]["val_ppl"] if history else float("nan")
    print(f"final val_ppl {final:.2f} in {time.perf_counter() - t_start:.1f} s")
    return final


if __name__ == "__main__":
    main()
