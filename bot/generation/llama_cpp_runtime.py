"""The generator on llama.cpp (``llama-cpp-python``), straight from the GGUF.

Why a second runtime: decoding a 135M model on a CPU is bound by the bytes of weights
read per token. transformers de-quantizes the Q4_1 GGUF to float32 (8 times the bytes)
and pays Python and torch overhead per layer and token; llama.cpp reads the 4-bit
weights as they are with hand-written AVX2 kernels. ``benchmarks/generation_bench.py``
measures both on the same prompts (BENCHMARKS.md, "Generation runtimes").

``llama-cpp-python`` publishes no wheels; ``scripts/setup.sh`` compiles its sdist once
per machine (CPU only, a portable AVX2 baseline) and caches the wheel outside the clone.
Where it is missing, ``SHOPBOT_GENERATOR_RUNTIME=auto`` (the default) uses the
transformers runtime instead.

What this runtime does, and why:

- The default model's Q4_1 GGUF is re-packed once as Q8_0 into ``models_dir()``
  (``requantize_q8_0`` says why: llama.cpp evaluates Q4_1 prompts without its fast
  batched kernels); ``SHOPBOT_LLAMA_REQUANTIZE=off`` runs the file as it is.

- The prompt is rendered with the chat template stored in the GGUF (ChatML for SmolLM2:
  ``<|im_start|>role\\n...<|im_end|>``), by jinja2 as transformers does, and tokenized with
  the control tokens recognised, so both runtimes see the same token ids. The prompt
  builder has already stripped anything shaped like a control token out of the
  shopper's words and the facts; a rendered prompt with more control tokens than its
  frame is refused all the same.
- Decoding goes token by token through ``Llama.generate``: stops at the model's
  end-of-turn tokens, at ``max_new_tokens``, or at the deadline (``DEADLINE``), and
  measures the time to the first token. Greedy unless ``SHOPBOT_GENERATION_TEMPERATURE``
  is above 0 (then plain seeded sampling over the whole vocabulary, as the transformers
  runtime does: no top-k, top-p or min-p).
- The repetition penalty (1.1) is llama.cpp's own, on the tokens this reply generated
  only: its sampler chain is made fresh per reply and sees only the tokens it chose,
  never the prompt's, so copying a product name from the facts is not punished; the
  same rule and formula as the transformers runtime.
- Prefix caching: llama.cpp keeps the KV cache of the previous call; before each call
  it is cut back to the fixed system turn when the new prompt starts with the same one
  (``_keep_prefix`` says why not further), so only the rest of the prompt is evaluated,
  as one batch. ``last_reused_tokens`` and ``stats`` count what was reused;
  ``prefix_cache = False`` clears the cache before each call (for comparison).
- One generation at a time (a lock): one llama.cpp context is not thread-safe.
- Threads: ``SHOPBOT_GENERATOR_THREADS``, else ``SHOPBOT_TORCH_THREADS``, else half the
  usable CPUs (``generator_threads``).

A Hugging Face model directory (a fine-tuned model in ``var/models``) is converted once
into a GGUF (Q8_0) with llama.cpp's own ``convert_hf_to_gguf.py``, which setup copies
out of the sdist into the environment (``SHOPBOT_LLAMA_CONVERTER`` points elsewhere),
and cached in ``models_dir()`` under the hash of the directory's files, with progress.
"""

import hashlib
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

from bot.generation.prompt import Prompt
from bot.generation.runtime import (
    DEADLINE, LENGTH, STOP, Deadline, Generation, GenerationSettings, Generator, models_dir,
)

logger = logging.getLogger(__name__)

N_CTX = 1024            # prompts are 100-250 tokens and replies at most 64: room to spare, little memory
PENALTY_WINDOW = 512    # the repetition penalty looks back this far (a reply is shorter)
CONVERSION_REV = 1      # bump when the HF -> GGUF conversion below changes: new cache files
CONVERT_OUTTYPE = "q8_0"  # fine-tuned weights: 8-bit, half of f16's bytes per token, close to its wording
Q4_1 = 3                # LLAMA_FTYPE_MOSTLY_Q4_1: the default model's type, re-packed as Q8_0 (requantize_q8_0)
CONTROL_TOKENS = ("<|im_end|>", "<|im_start|>", "<|endoftext|>", "<|eot_id|>", "</s>")
# ChatML: what SmolLM2 and many small instruct models use, when a GGUF carries no template.
CHATML = ("{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' + message['content'] "
          "+ '<|im_end|>' + '\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}"
          "{% endif %}")


def _readable(path: str) -> None:
    """A cache file as the umask allows (mkstemp makes them owner-only)."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, 0o644 & ~umask)


def _say(message: str, progress: bool) -> None:
    if progress:
        print(f"[generator] {message}", file=sys.stderr, flush=True)


def generator_threads() -> int:
    """``SHOPBOT_GENERATOR_THREADS``, else ``SHOPBOT_TORCH_THREADS``, else half the usable
    CPUs (llama.cpp's own default: one per physical core; 1 on a two-core machine, where a
    second thread spin-waiting for a busy core made replies 15x slower, BENCHMARKS.md)."""
    for name in ("SHOPBOT_GENERATOR_THREADS", "SHOPBOT_TORCH_THREADS"):
        try:
            value = int(os.environ.get(name) or 0)
        except ValueError:
            value = 0
        if value > 0:
            return value
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        usable = os.cpu_count() or 1
    return max(1, usable // 2)


# ---------------------------------------------------------------------- HF directory -> GGUF
def converter_script() -> Optional[Path]:
    """llama.cpp's ``convert_hf_to_gguf.py`` (with its ``conversion`` and ``gguf-py``
    beside it): ``SHOPBOT_LLAMA_CONVERTER``, else where setup put it in the environment."""
    configured = os.environ.get("SHOPBOT_LLAMA_CONVERTER")
    candidates = [Path(configured)] if configured else []
    candidates.append(Path(sys.prefix) / "share" / "llama.cpp" / "convert_hf_to_gguf.py")
    for candidate in candidates:
        if candidate.is_dir():
            candidate = candidate / "convert_hf_to_gguf.py"
        if candidate.is_file():
            return candidate
    return None


def directory_digest(directory: Path) -> str:
    """The hash of a model directory's files (names and contents): a retrained model in
    the same place is a new key."""
    digest = hashlib.sha256()
    for path in sorted(p for p in Path(directory).rglob("*") if p.is_file()):
        relative = path.relative_to(directory).as_posix()
        if relative.startswith(".") or "/." in relative:
            continue
        digest.update(relative.encode() + b"\0")
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        digest.update(b"\0")
    return digest.hexdigest()


def converted_gguf_path(directory: Path, target_dir: Optional[Path] = None) -> Path:
    key = hashlib.sha256(f"{directory_digest(directory)} {CONVERSION_REV} {CONVERT_OUTTYPE}".encode())
    return Path(target_dir or models_dir()) / f"llama-{Path(directory).name}-{key.hexdigest()[:12]}.gguf"


# Runs llama.cpp's converter with one fallback: when it does not recognise the tokenizer's
# pre-tokenizer by its fingerprint, SHOPBOT_GGUF_TOKENIZER_PRE names it (see _conversion_input).
_CONVERTER_WRAPPER = """
import os, runpy, sys
script = sys.argv[1]
sys.argv = sys.argv[1:]
sys.path.insert(0, os.path.dirname(script))
sys.path.insert(1, os.path.join(os.path.dirname(script), "gguf-py"))
import conversion.base as base
recognised = base.TextModel.get_vocab_base_pre
def get_vocab_base_pre(self, tokenizer):
    try:
        return recognised(self, tokenizer)
    except NotImplementedError:
        fallback = os.environ.get("SHOPBOT_GGUF_TOKENIZER_PRE")
        if not fallback:
            raise
        print(f"pre-tokenizer not recognised by its fingerprint; using {fallback!r}, the base model's", file=sys.stderr)
        return fallback
base.TextModel.get_vocab_base_pre = get_vocab_base_pre
runpy.run_path(script, run_name="__main__")
"""


def _conversion_input(directory: Path, staging: Path) -> Dict[str, str]:
    """Prepare ``staging`` as the converter's input: ``directory``'s files, linked, with
    its ``tokenizer.json`` repaired if needed; returns environment for the converter.

    A model fine-tuned here starts from the transformers runtime's conversion of the GGUF,
    whose ``tokenizer.json`` transformers wrote as a byte-level BPE that also claims byte
    fallback: llama.cpp's converter then takes it for a SentencePiece-style Llama
    tokenizer and writes a GGUF that crashes llama.cpp on load. Byte-level BPE needs no
    byte fallback, so the copy says so (and decodes byte-level). The converter then
    fingerprints the pre-tokenizer; when the vocabulary is the default model's, token for
    token, the default GGUF's pre-tokenizer (``smollm``) is the fallback it may use.
    """
    import json

    staging.mkdir(parents=True, exist_ok=True)
    tokenizer_file = directory / "tokenizer.json"
    tokenizer = json.loads(tokenizer_file.read_text(encoding="utf-8")) if tokenizer_file.is_file() else None
    model = (tokenizer or {}).get("model") or {}
    for path in directory.iterdir():
        # with sentencepiece installed, transformers saves a GGUF-born tokenizer with a
        # "tokenizer.model" that is no SentencePiece model (the GGUF file itself); the
        # converter would prefer it to tokenizer.json and fail to parse it
        if path.name == "tokenizer.model" and model.get("type") == "BPE":
            continue
        os.symlink(path.resolve(), staging / path.name)
    env: Dict[str, str] = {}
    if tokenizer is None:
        return env
    byte_level = "ByteLevel" in json.dumps(tokenizer.get("pre_tokenizer"))
    if model.get("type") == "BPE" and byte_level and model.get("byte_fallback"):
        model["byte_fallback"] = False
        tokenizer["decoder"] = {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True,
                                "use_regex": True}
        (staging / "tokenizer.json").unlink()
        (staging / "tokenizer.json").write_text(json.dumps(tokenizer, ensure_ascii=False), encoding="utf-8")
    pre = _default_pre_tokenizer_for(model.get("vocab") or {}, tokenizer.get("added_tokens") or [])
    if pre:
        env["SHOPBOT_GGUF_TOKENIZER_PRE"] = pre
    return env


def _default_pre_tokenizer_for(vocab: Dict[str, int], added: List[Dict[str, Any]]) -> Optional[str]:
    """The default model's ``tokenizer.ggml.pre`` when ``vocab`` is its vocabulary, else None."""
    try:
        from gguf import GGUFReader

        from bot.generation.runtime import default_model_path

        reader = GGUFReader(str(default_model_path()))
    except (FileNotFoundError, ImportError):
        return None
    tokens_field = reader.fields.get("tokenizer.ggml.tokens")
    pre_field = reader.fields.get("tokenizer.ggml.pre")
    if tokens_field is None or pre_field is None:
        return None
    by_id = {index: token for token, index in vocab.items()}
    by_id.update({entry.get("id"): entry.get("content") for entry in added})
    tokens = [bytes(tokens_field.parts[i]).decode("utf-8") for i in tokens_field.data]
    if len(by_id) != len(tokens) or any(by_id.get(i) != token for i, token in enumerate(tokens)):
        return None
    return bytes(pre_field.parts[pre_field.data[0]]).decode("utf-8")


def convert_directory(directory: Path, target: Optional[Path] = None, progress: bool = True) -> Path:
    """The cached GGUF of a Hugging Face model directory (converted now if missing)."""
    directory = Path(directory)
    target = Path(target or converted_gguf_path(directory))
    if target.is_file():
        return target
    script = converter_script()
    if script is None:
        raise FileNotFoundError(
            "llama.cpp's convert_hf_to_gguf.py was not found (scripts/setup.sh installs it into the action "
            "environment's share/llama.cpp; or set SHOPBOT_LLAMA_CONVERTER); use SHOPBOT_GENERATOR_RUNTIME="
            "transformers for this model directory")
    _say(f"converting {directory} once into {target.name} ({CONVERT_OUTTYPE}, with llama.cpp's converter)", progress)
    started = time.perf_counter()
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, staging = tempfile.mkstemp(prefix=target.name + ".", suffix=".part", dir=target.parent)
    os.close(handle)
    workdir = Path(tempfile.mkdtemp(prefix=target.name + ".", suffix=".input", dir=target.parent))
    try:
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
               **_conversion_input(directory, workdir / "model")}
        env.pop("NO_LOCAL_GGUF", None)  # the converter's own gguf-py, which matches it
        command = [sys.executable, "-c", _CONVERTER_WRAPPER, str(script), str(workdir / "model"),
                   "--outfile", staging, "--outtype", CONVERT_OUTTYPE]
        result = subprocess.run(command, env=env, stdout=None if progress else subprocess.PIPE,
                                stderr=None if progress else subprocess.STDOUT, text=True)
        if result.returncode != 0:
            tail = (result.stdout or "")[-2000:]
            raise RuntimeError(f"converting {directory} to GGUF failed (exit {result.returncode}){': ' + tail if tail else ''}")
        _readable(staging)
        os.replace(staging, target)  # atomic: a concurrent reader sees all or nothing
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        if os.path.exists(staging):
            os.unlink(staging)
    _say(f"converted in {time.perf_counter() - started:.0f} s", progress)
    return target


# ---------------------------------------------------------------------- Q4_1 -> Q8_0
def requantize_setting() -> str:
    """``SHOPBOT_LLAMA_REQUANTIZE``: ``q8_0`` (default) runs a Q4_1 GGUF as Q8_0; ``off`` as it is."""
    value = (os.environ.get("SHOPBOT_LLAMA_REQUANTIZE") or "q8_0").strip().lower()
    if value not in ("q8_0", "off"):
        raise ValueError(f"SHOPBOT_LLAMA_REQUANTIZE={value!r}: q8_0 or off")
    return value


def gguf_file_type(path: Path) -> Optional[int]:
    """``general.file_type`` of a GGUF (llama.cpp's ``LLAMA_FTYPE_*``), None if unstated."""
    from gguf import GGUFReader

    field = GGUFReader(str(path)).fields.get("general.file_type")
    if field is None:
        return None
    return int(field.parts[field.data[0]][0])


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def requantized_path(gguf: Path, target_dir: Optional[Path] = None) -> Path:
    key = hashlib.sha256(f"{_file_digest(gguf)} {CONVERSION_REV} q8_0".encode()).hexdigest()[:12]
    return Path(target_dir or models_dir()) / f"llama-{gguf.stem}-{key}.q8_0.gguf"


def requantize_q8_0(gguf: Path, target: Optional[Path] = None, progress: bool = True) -> Path:
    """The cached Q8_0 copy of ``gguf`` (made now if missing, about 2 s).

    Why: llama.cpp has no fast batched matrix kernel for Q4_1 on x86 (no llamafile
    sgemm, no repacking), so a Q4_1 model evaluates a prompt token by token through its
    dot products: on 2 busy cores the 150-token prompt took 2.2 s against 1.4 s in Q8_0,
    while decoding got only 10% slower (twice the bytes per token). Q8_0 holds every
    Q4_1 weight to within a 254th of its block's largest, finer than Q4_1's own step.
    Greedy replies still change (8 of the benchmark's 20 came out word for word the
    same): a 135M model's choice flips on rounding, as it does between the two runtimes;
    the guardrail pass rate is what BENCHMARKS.md compares.
    """
    import llama_cpp

    gguf = Path(gguf)
    target = Path(target or requantized_path(gguf))
    if target.is_file():
        return target
    _say(f"re-packing {gguf.name} as Q8_0 once into {target} (a few seconds)", progress)
    started = time.perf_counter()
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, staging = tempfile.mkstemp(prefix=target.name + ".", suffix=".part", dir=target.parent)
    os.close(handle)
    try:
        try:
            from llama_cpp._logger import set_verbose

            set_verbose(False)  # llama.cpp logs every tensor at info level
        except ImportError:
            pass
        params = llama_cpp.llama_model_quantize_default_params()
        params.ftype = llama_cpp.LLAMA_FTYPE_MOSTLY_Q8_0
        params.allow_requantize = True
        params.nthread = 1
        code = llama_cpp.llama_model_quantize(str(gguf).encode(), staging.encode(), params)
        if code != 0:
            raise RuntimeError(f"llama.cpp could not re-pack {gguf} as Q8_0 (code {code})")
        _readable(staging)
        os.replace(staging, target)
    finally:
        if os.path.exists(staging):
            os.unlink(staging)
    _say(f"re-packed in {time.perf_counter() - started:.1f} s", progress)
    return target


def finetuned_source(config: GenerationSettings, progress: bool = True) -> Optional[Path]:
    """The fine-tuned model directory for a GGUF base, when an adapter for it is present and
    ``SHOPBOT_GENERATOR_FINETUNED`` is not ``off`` (``bot.generation.finetune``): the base is
    converted and the adapter merged once (both cached), then converted to GGUF once, so this
    runtime serves the same fine-tuned weights as the transformers runtime. None: stock."""
    from bot.generation import finetune

    if not (finetune.finetuned_enabled() and finetune.adapter_present()):
        return None
    from bot.generation.transformers_runtime import convert_gguf

    base = convert_gguf(Path(config.model_path()), progress=progress)
    return finetune.finetuned_model_path(base, progress=progress)


def gguf_for(config: GenerationSettings, progress: bool = True) -> Path:
    """The GGUF file to load for the configured model (converting a model directory,
    re-packing a Q4_1 file as Q8_0 unless ``SHOPBOT_LLAMA_REQUANTIZE=off``)."""
    source = Path(config.model_path())
    if source.is_dir():
        return convert_directory(source, progress=progress)
    if source.suffix.lower() != ".gguf" or not source.is_file():
        raise FileNotFoundError(f"generator model {source} is neither a GGUF file nor a model directory")
    tuned = finetuned_source(config, progress=progress)
    if tuned is not None:
        return convert_directory(tuned, progress=progress)
    if requantize_setting() == "q8_0" and gguf_file_type(source) == Q4_1:
        return requantize_q8_0(source, progress=progress)
    return source


# ---------------------------------------------------------------------- the runtime
class LlamaCppGenerator(Generator):
    name = "llama_cpp"

    def __init__(self, llm: Any, config: GenerationSettings = GenerationSettings(), source: str = "",
                 threads: Optional[int] = None) -> None:
        self.llm = llm
        self.config = config
        self.source = source
        self.threads = threads
        self.prefix_cache = True
        self.last_reused_tokens = 0
        self.stats: Dict[str, int] = {"calls": 0, "prompt_tokens": 0, "reused_tokens": 0}
        self._lock = threading.Lock()
        self._template = self._chat_template()
        self._controls = {i for i in (self._control_id(t) for t in CONTROL_TOKENS) if i is not None}
        self.stop_ids = {i for i in self._controls | {self.llm.token_eos()} if i is not None and i >= 0}
        self._frame_controls = self._count_controls(self._render([{"role": "system", "content": ""},
                                                                  {"role": "user", "content": ""}]))

    @classmethod
    def load(cls, config: Optional[GenerationSettings] = None, progress: bool = True) -> "LlamaCppGenerator":
        from llama_cpp import Llama

        config = config or GenerationSettings.from_env()
        path = gguf_for(config, progress=progress)
        threads = generator_threads()
        llm = Llama(model_path=str(path), n_ctx=N_CTX, n_batch=512, n_threads=threads, n_threads_batch=threads,
                    seed=config.seed, last_n_tokens_size=PENALTY_WINDOW, verbose=False)
        return cls(llm, config, source=str(path), threads=threads)

    # ------------------------------------------------------------------ tokens
    def _chat_template(self) -> Any:
        from jinja2.sandbox import ImmutableSandboxedEnvironment

        source = (getattr(self.llm, "metadata", None) or {}).get("tokenizer.chat_template") or CHATML
        environment = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)

        def raise_exception(message: str) -> None:
            raise ValueError(message)

        environment.globals["raise_exception"] = raise_exception
        return environment.from_string(source)

    def _render(self, messages: List[Dict[str, str]]) -> str:
        return self._template.render(messages=messages, add_generation_prompt=True, bos_token="", eos_token="")

    def _token_ids(self, text: str) -> List[int]:
        return list(self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def _control_id(self, text: str) -> Optional[int]:
        ids = self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=True)
        return ids[0] if len(ids) == 1 else None

    def _count_controls(self, text: str) -> int:
        return sum(1 for token in self._token_ids(text) if token in self._controls)

    def encode(self, prompt: Prompt) -> List[int]:
        """The prompt's token ids with the chat template, ready for the assistant's turn."""
        text = self._render(prompt.messages())
        ids = self._token_ids(text)
        if sum(1 for token in ids if token in self._controls) != self._frame_controls:
            # prompt.clean() strips control tokens from untrusted text; this is the backstop
            raise ValueError("the prompt's text contains chat control tokens")
        return ids

    def count_tokens(self, prompt: Prompt) -> int:
        return len(self.encode(prompt))

    # ------------------------------------------------------------------ decoding
    def generate(self, prompt: Prompt, max_new_tokens: int = 64,
                 deadline_s: Optional[float] = None) -> Generation:
        started = time.perf_counter()
        deadline = Deadline(deadline_s)
        left = deadline.left()
        if not self._lock.acquire(timeout=-1 if left is None else max(0.0, left)):
            return Generation("", 0, 0, time.perf_counter() - started, None, DEADLINE)
        try:
            return self._generate(prompt, max_new_tokens, deadline, started)
        finally:
            self._lock.release()

    def _system_ids(self, prompt: Prompt) -> List[int]:
        """The system turn's tokens as they start the full prompt (empty if they do not)."""
        try:
            text = self._template.render(messages=prompt.messages()[:1], add_generation_prompt=False,
                                         bos_token="", eos_token="")
        except Exception:  # noqa: BLE001 - a template that wants a user turn: no prefix caching
            return []
        return self._token_ids(text)

    def _keep_prefix(self, ids: List[int], system_ids: List[int]) -> int:
        """Cut llama.cpp's KV cache back to what this prompt shares with the previous one,
        at most its system turn, and return how many tokens that keeps.

        Why not the whole common prefix, as ``Llama.generate`` would: evaluating the
        prompt's tail as one batch or token by token rounds differently (other matrix
        kernels), and a 135M model's greedy choice can flip on that, so the same prompt
        would get a different reply depending on what came before it. The system turn is
        the part every prompt shares; what follows it is always evaluated as one batch.
        """
        llm = self.llm
        cached = list(llm._input_ids)  # the tokens whose keys and values are in the cache
        common = 0
        for a, b in zip(cached, ids[:len(system_ids)] if ids[:len(system_ids)] == system_ids else ()):
            if a != b:
                break
            common += 1
        common = min(common, len(ids) - 1)  # at least one token is evaluated for the next logits
        if common <= 0:
            llm.reset()
            return 0
        if common < llm.n_tokens:
            llm._ctx.kv_cache_seq_rm(-1, common, -1)
            llm.n_tokens = common
        return common

    def _generate(self, prompt: Prompt, max_new_tokens: int, deadline: Deadline, started: float) -> Generation:
        ids = self.encode(prompt)
        if deadline.passed():
            return Generation("", 0, len(ids), time.perf_counter() - started, None, DEADLINE)
        room = N_CTX - len(ids)
        if room < 1:
            raise ValueError(f"the prompt takes {len(ids)} tokens; the context holds {N_CTX}")
        budget = min(max_new_tokens, room)
        reused = self._keep_prefix(ids, self._system_ids(prompt)) if self.prefix_cache else 0
        if not reused:
            self.llm.reset()
        temperature = self.config.temperature
        stream = self.llm.generate(ids, temp=max(0.0, temperature), top_k=0, top_p=1.0, min_p=0.0, typical_p=1.0,
                                   repeat_penalty=self.config.repetition_penalty or 1.0, reset=True)
        generated: List[int] = []
        first_token_s = None
        finish = LENGTH
        try:
            for token in stream:
                if first_token_s is None:
                    first_token_s = time.perf_counter() - started
                if token in self.stop_ids:
                    finish = STOP
                    break
                generated.append(token)
                if deadline.passed():
                    finish = DEADLINE
                    break
                if len(generated) >= budget:
                    break
        finally:
            stream.close()
        self.last_reused_tokens = reused
        self.stats["calls"] += 1
        self.stats["prompt_tokens"] += len(ids)
        self.stats["reused_tokens"] += reused
        text = self.llm.detokenize(generated).decode("utf-8", errors="ignore").strip()
        return Generation(text, len(generated), len(ids), time.perf_counter() - started, first_token_s, finish)
