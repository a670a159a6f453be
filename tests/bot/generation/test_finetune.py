"""LoRA fine-tuning and the loader: a tiny run writes an adapter that loads and changes the
output; the runtime loads base + adapter merged when present, the stock model when
``SHOPBOT_GENERATOR_FINETUNED=off`` or the adapter was made for another base.

The runs here use a tiny Llama (two layers, width 32) with the real model's tokenizer,
so they take seconds; the real fine-tuning is the command's (see BENCHMARKS.md)."""

import json
from pathlib import Path

import pytest

from bot.generation import finetune as F
from bot.generation.dataset import build_dataset
from bot.generation.runtime import GenerationSettings
from bot.generation.transformers_runtime import DONE_FILE, TransformersGenerator, model_directory

torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def tokenizer_dir(real_model_conversion):
    directory, _ = real_model_conversion
    return Path(directory)


@pytest.fixture(scope="module")
def tiny_base(tmp_path_factory, tokenizer_dir):
    """A tiny random Llama saved like a converted model (its own checksum in conversion.json)."""
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    tokenizer = AutoTokenizer.from_pretrained(str(tokenizer_dir))
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=512,
                         tie_word_embeddings=True, eos_token_id=tokenizer.convert_tokens_to_ids(tokenizer.eos_token))
    directory = tmp_path_factory.mktemp("tiny-base")
    LlamaForCausalLM(config).save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    (directory / DONE_FILE).write_text(json.dumps({"sha256": "tiny-base-for-tests"}))
    return directory


@pytest.fixture(scope="module")
def pairs(names):
    return build_dataset(names=names).train[:6]


@pytest.fixture(scope="module")
def tiny_adapter(tmp_path_factory, tiny_base, pairs):
    out = tmp_path_factory.mktemp("adapter")
    config = F.TrainConfig(rank=4, alpha=8.0, epochs=4, batch_size=3, lr=2e-2, warmup_steps=1, seed=3)
    result = F.train(pairs, tiny_base, out, config, progress=False, dataset_info={"fingerprint": "test"})
    return out, result


@pytest.fixture
def models_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("SHOPBOT_MODELS_DIR", str(tmp_path / "models"))
    monkeypatch.delenv("SHOPBOT_GENERATOR_FINETUNED", raising=False)
    return tmp_path / "models"


def _logits(directory, tokenizer_dir, pair):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(tokenizer_dir))
    model = AutoModelForCausalLM.from_pretrained(str(directory), dtype=torch.float32).eval()
    example = F.encode_pair(tokenizer, pair)
    with torch.no_grad():
        return model(input_ids=torch.tensor([example.input_ids])).logits[0]


def test_a_tiny_run_learns_and_writes_a_small_adapter(tiny_adapter):
    out, result = tiny_adapter
    assert (out / F.ADAPTER_FILE).is_file() and (out / F.META_FILE).is_file()
    meta = json.loads((out / F.META_FILE).read_text())
    assert meta["rank"] == 4 and meta["base"]["sha256"] == "tiny-base-for-tests"
    assert set(meta["targets"]) == set(F.TARGETS) and meta["dataset"] == {"fingerprint": "test"}
    assert result.steps == 8 and result.examples == 6
    assert result.loss_last < result.loss_first  # it learns the replies it saw
    tensors, _ = F.load_adapter(out)
    assert len(tensors) == 2 * 7 * 2  # A and B for 7 projections in 2 layers
    assert all(t.dtype == torch.float16 for t in tensors.values())


def test_the_loss_is_on_the_reply_tokens_only(tokenizer_dir, pairs):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(tokenizer_dir))
    example = F.encode_pair(tokenizer, pairs[0])
    reply = [token for token in example.labels if token != -100]
    assert tokenizer.decode(reply[:-1]) == pairs[0].target
    assert reply[-1] == tokenizer.convert_tokens_to_ids("<|im_end|>")
    prompt_len = len(example.labels) - len(reply)
    assert example.labels[:prompt_len] == [-100] * prompt_len


def test_the_merged_model_is_the_trained_lora_model_and_differs_from_the_base(
        tiny_base, tiny_adapter, tokenizer_dir, pairs, models_dir):
    out, _ = tiny_adapter
    merged = F.finetuned_model_path(tiny_base, adapter=out)
    assert merged is not None and merged.parent == models_dir and merged.name.startswith("generator-ft-")
    assert json.loads((merged / DONE_FILE).read_text())["adapter"]["rank"] == 4
    base_logits = _logits(tiny_base, tokenizer_dir, pairs[0])
    merged_logits = _logits(merged, tokenizer_dir, pairs[0])
    assert not torch.allclose(base_logits, merged_logits, atol=1e-3)  # the adapter changes the output
    # merging is exact: the base with the LoRA layers on gives the merged model's logits
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(str(tiny_base), dtype=torch.float32).eval()
    tensors, meta = F.load_adapter(out)
    layers = F.add_lora(model, meta["rank"], meta["alpha"])
    with torch.no_grad():
        for name, layer in layers.items():
            layer.lora_A.copy_(tensors[f"{name}.lora_A"].float())
            layer.lora_B.copy_(tensors[f"{name}.lora_B"].float())
        example = F.encode_pair(AutoTokenizer.from_pretrained(str(tokenizer_dir)), pairs[0])
        lora_logits = model(input_ids=torch.tensor([example.input_ids])).logits[0]
    assert torch.allclose(lora_logits, merged_logits, atol=1e-3)
    assert F.finetuned_model_path(tiny_base, adapter=out) == merged  # cached: merged once


def test_the_loader_prefers_the_finetuned_weights_and_off_gives_the_stock_ones(
        tiny_base, tiny_adapter, models_dir, monkeypatch):
    out, _ = tiny_adapter
    monkeypatch.setenv("SHOPBOT_GENERATOR_ADAPTER", str(out))
    config = GenerationSettings(model=str(tiny_base))
    chosen = model_directory(config, progress=False)
    assert chosen.name.startswith("generator-ft-") and chosen.parent == models_dir
    assert TransformersGenerator.load(config, progress=False).source == str(chosen)
    # a fine-tuned directory given as the model is not fine-tuned twice
    assert model_directory(GenerationSettings(model=str(chosen)), progress=False) == chosen

    monkeypatch.setenv("SHOPBOT_GENERATOR_FINETUNED", "off")
    assert model_directory(config, progress=False) == tiny_base
    assert TransformersGenerator.load(config, progress=False).source == str(tiny_base)


def test_no_adapter_or_one_for_another_base_loads_the_stock_model(tiny_base, tiny_adapter, tmp_path, models_dir,
                                                                  monkeypatch):
    out, _ = tiny_adapter
    monkeypatch.setenv("SHOPBOT_GENERATOR_ADAPTER", str(tmp_path / "none"))
    assert model_directory(GenerationSettings(model=str(tiny_base)), progress=False) == tiny_base
    other = tmp_path / "other"
    other.mkdir()
    tensors, meta = F.load_adapter(out)
    meta["base"]["sha256"] = "some other model"
    F.save_adapter(other, tensors, meta)
    monkeypatch.setenv("SHOPBOT_GENERATOR_ADAPTER", str(other))
    assert model_directory(GenerationSettings(model=str(tiny_base)), progress=False) == tiny_base
    assert not models_dir.exists() or not list(models_dir.glob("generator-ft-*"))


def test_the_committed_adapter_fits_the_default_model_and_is_small(real_model_conversion):
    """The adapter in the repository (when the fine-tuning has been run and committed) was
    trained on the default model, and every tensor fits its layers."""
    from safetensors import safe_open

    directory, _ = real_model_conversion
    adapter = F.DEFAULT_ADAPTER_DIR
    if not F.adapter_present(adapter):
        pytest.skip("no committed adapter")
    meta = json.loads((adapter / F.META_FILE).read_text())
    assert meta["base"]["sha256"] == json.loads((Path(directory) / DONE_FILE).read_text())["sha256"]
    size = (adapter / F.ADAPTER_FILE).stat().st_size
    assert size < 5_000_000
    config = json.loads((Path(directory) / "config.json").read_text())
    with safe_open(str(adapter / F.ADAPTER_FILE), framework="pt") as handle:
        keys = list(handle.keys())
        assert len(keys) == 2 * len(meta["targets"]) * config["num_hidden_layers"]
        a = handle.get_slice("model.layers.0.self_attn.q_proj.lora_A").get_shape()
        assert a == [meta["rank"], config["hidden_size"]]
