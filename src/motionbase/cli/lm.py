"""``motionbase lm train`` and ``motionbase lm generate``: thin layers over :mod:`motionbase.lm`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import typer

from ..data.length_filter import protocol_view
from ..data.store import ClipStore
from ..devices import check_device
from ..errors import MotionbaseError
from ..generation import load_motion_tokenizer
from ..lm.config import LMConfig, LMDataConfig, LMTrainConfig, LoRAConfig, legacy_data
from ..lm.loading import default_cache_root
from .options import CpuDevice, LengthFilter, RunDir, Seed, Store, TokenizerDir, TrainSplit


def register(app: typer.Typer) -> None:
    group = typer.Typer(no_args_is_help=True, help="Large motion model: a causal LM that speaks motion tokens.")
    app.add_typer(group, name="lm")

    @group.command("train")
    def train_cmd(
        *,
        tokenizer: TokenizerDir,
        backbone: str = typer.Option(..., "--backbone", help="local HF causal LM directory, 'tiny' (= tiny-gpt2), "
                                     "'tiny-llama', or a hub id where a hub is reachable"),
        store: Store,
        out: RunDir,
        split: TrainSplit = "train",
        vocab_mode: str = typer.Option("added", help="'added' (new tokens) or 'reuse' (least frequent text tokens)"),
        part_tokens: str = typer.Option("shared", help="2D codes: 'shared' or 'separate' tokens per part"),
        loss: str = typer.Option("whole", help="'whole', 'response' or 'motion' (paper Table 10)"),
        corpus: Path | None = typer.Option(None, help="text file (one text per line) to count token frequencies "
                                           "over for --vocab-mode reuse (default: the captions)"),
        lm_config: Path | None = typer.Option(None, "--lm-config", help="JSON of LMConfig fields (tiny sizes, ...) "
                                              "and LMDataConfig fields (task weights, max_length, ...); the "
                                              "options above override it"),
        lr: float | None = typer.Option(None, help="learning rate (default: paper's, 2e-4 GPT-2 / 2e-5 Llama)"),
        batch_size: int = typer.Option(8, help="examples per process per micro-batch"),
        grad_accum: int = typer.Option(1, help="micro-batches per optimizer step"),
        epochs: int = typer.Option(1, help="passes over the clips (ignored with --max-steps)"),
        max_steps: int | None = typer.Option(None, help="optimizer steps to train"),
        save_every: int = typer.Option(500, help="steps between resumable checkpoints"),
        lora: bool = typer.Option(False, help="train LoRA adapters (peft) instead of all weights"),
        lora_r: int = typer.Option(16, help="LoRA rank"),
        gradient_checkpointing: bool = typer.Option(False, help="recompute activations to save memory"),
        mixed_precision: str = typer.Option("auto", help="auto (bf16 on GPU) | no | bf16 | fp16"),
        num_processes: int = typer.Option(1, help="training processes (GPUs; CPU processes with --cpu)"),
        accelerate_config: str | None = typer.Option(None, help="cpu | ddp | zero2 | zero3 | fsdp | a YAML file"),
        cpu: bool = typer.Option(False, help="several CPU processes (DDP over gloo) instead of GPUs"),
        cache: Path | None = typer.Option(None, help="code cache root (default $MOTIONBASE_CACHE/lm_codes)"),
        device: CpuDevice = None,
        seed: Seed = 0,
        mirror: bool = typer.Option(False, help="also train on left-right mirrored clips with mirrored captions"),
        length_filter: LengthFilter = None,
        init_from: Path | None = typer.Option(None, "--init-from", help="start from this trained motion LM "
                                              "(fine-tune: its weights, text tokenizer and motion vocabulary; "
                                              "--backbone and the vocabulary options are then ignored; the "
                                              "examples' settings come from --lm-config and --loss)"),
        paraphrases: int = typer.Option(0, help="add this many paraphrases of the Bandai-Namco labels to each "
                                        "clip's captions (motionbase.data.paraphrase)"),
        balance_captions: bool = typer.Option(False, help="draw every caption equally often: clips sharing their "
                                              "first caption (one content x style) are repeated to weigh as much "
                                              "as the largest such group (LMDataConfig.balance_captions)"),
        contrast: float = typer.Option(0.0, help="weight of the caption contrast: a text-to-motion example's motion "
                                       "must be likelier under its own caption than under a similar group's "
                                       "(LMDataConfig.contrast; 0 = off)"),
        contrast_margin: float = typer.Option(0.1, help="the contrast's margin, nats per motion token"),
        canonical_sides: bool | None = typer.Option(None, "--canonical-sides/--no-canonical-sides",
                                                    help="text conditions motion only in its canonical side ('right' "
                                                    "first; 'left' prompts are mirrored at generation); needs "
                                                    "--mirror (default: the --lm-config's, or the --init-from "
                                                    "model's)"),
    ) -> None:
        """Fine-tune a causal LM on a clip store's motion codes and captions (instruction format)."""
        # torch and transformers: 1 s + 2 s; --help stays torch-free
        from ..lm.data import caption_corpus, records_from_store
        from ..lm.model import MotionLM
        from ..lm.train import RUN_FILE, launch, prepare_run

        if (out / RUN_FILE).exists():
            typer.echo(f"{out}: resuming the run there (its run.json and base model are used as they are)")
        else:
            fields = _read_json(lm_config) if lm_config is not None else {}
            data = {**legacy_data(fields), "loss_on": loss,  # the training examples' settings
                    "balance_captions": balance_captions, "contrast": contrast, "contrast_margin": contrast_margin}
            fields = {k: v for k, v in fields.items() if k not in data}
            fields.update(backbone="tiny-gpt2" if backbone == "tiny" else backbone, vocab_mode=vocab_mode,
                          part_tokens=part_tokens)
            if canonical_sides is not None:
                fields["canonical_sides"] = canonical_sides
            source = str(lm_config or "--lm-config")
            config = LMConfig.from_dict(fields, source=source)
            data_cfg = LMDataConfig.from_dict(data, source=source)
            if canonical_sides and not mirror:
                raise MotionbaseError("--canonical-sides needs --mirror: the mirrored clips carry the motions of "
                                      "the captions that name 'left' first")
            codec, info = load_motion_tokenizer(tokenizer, check_device(device))
            view = protocol_view(ClipStore.open(store), split or None, length_filter)
            records = records_from_store(view, codec, info, cache or default_cache_root(), split=None,
                                         device=check_device(device), mirror=mirror,
                                         paraphrases=paraphrases)
            reuse_corpus = _read_lines(corpus) if corpus is not None else None
            if init_from is not None:
                lm = MotionLM.from_pretrained(init_from, info)
                if canonical_sides is not None:
                    lm.config = lm.config.replace(canonical_sides=canonical_sides)
            else:
                lm = MotionLM.build(config, info, corpus=list(caption_corpus(records)), reuse_corpus=reuse_corpus)
            train_cfg = LMTrainConfig(lr=lr, batch_size=batch_size, grad_accum=grad_accum, epochs=epochs,
                                      max_steps=max_steps, save_every=save_every, seed=seed,
                                      lora=LoRAConfig(r=lora_r, alpha=2 * lora_r) if lora else None,
                                      gradient_checkpointing=gradient_checkpointing,
                                      mixed_precision=mixed_precision, data=data_cfg)
            prepare_run(out, lm, records, train_cfg)
            typer.echo(f"{out}: {len(records)} clips, backbone {config.backbone}, {len(lm.tokenizer)} tokens "
                       f"({lm.vocab.mode} motion vocabulary)")
        model_dir = launch(out, num_processes=num_processes, config=accelerate_config, cpu=cpu)
        typer.echo(f"wrote {model_dir}")

    @group.command("generate")
    def generate_cmd(
        model: Path = typer.Option(..., "--model", help="trained motion LM directory (a run's model/)"),
        tokenizer: Path = typer.Option(..., "--tokenizer", help="the motion tokenizer it was trained with"),
        text: list[str] = typer.Option(..., "--text", help="caption (repeat for a batch)"),
        out: Path = typer.Option(..., "--out", help="directory for sample-NNN.codes.npy / .features.npy"),
        seconds: float | None = typer.Option(None, help="motion length in seconds (default: the model decides)"),
        long: bool = typer.Option(False, "--long", help="allow motions longer than the context (windowed)"),
        temperature: float = typer.Option(1.0), top_k: int | None = typer.Option(None),
        top_p: float | None = typer.Option(None), greedy: bool = typer.Option(False, help="argmax decoding"),
        seed: int | None = typer.Option(None), device: str | None = typer.Option(None),
    ) -> None:
        """Generate motions from captions: codes, and features decoded by the motion tokenizer."""
        # torch and transformers: 1 s + 2 s; --help stays torch-free
        from ..lm.generate import GenerationOptions, MotionRequest, generate, generate_long
        from ..lm.model import MotionLM

        codec, info = load_motion_tokenizer(tokenizer, check_device(device))
        lm = MotionLM.from_pretrained(model, info, device=check_device(device))
        options = GenerationOptions(temperature=temperature, top_k=top_k, top_p=top_p, do_sample=not greedy,
                                    seconds=seconds, seed=seed)
        requests = [MotionRequest("t2m", caption=t) for t in text]
        results = (generate_long if long else generate)(lm, requests, options)
        out.mkdir(parents=True, exist_ok=True)
        summary = []
        for i, (caption, res) in enumerate(zip(text, results)):
            np.save(out / f"sample-{i:03d}.codes.npy", res.codes)
            if len(res.codes):
                feats = codec.decode(res.codes).detach().cpu().numpy()
                np.save(out / f"sample-{i:03d}.features.npy", feats)
            summary.append({"caption": caption, "steps": len(res.codes), "closed": res.closed,
                            "seconds": len(res.codes) / info.codes_per_second})
            if not res.closed:
                typer.echo(f"sample {i}: the motion was cut at the token budget ({len(res.codes)} steps kept)")
        (out / "samples.json").write_text(json.dumps(summary, indent=1))
        typer.echo(f"wrote {len(results)} sample(s) to {out}")


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise MotionbaseError(f"{path}: not a readable JSON file ({exc})") from None


def _read_lines(path: Path) -> list[str]:
    try:
        return [line.strip() for line in path.read_text().splitlines() if line.strip()]
    except OSError as exc:
        raise MotionbaseError(f"{path}: unreadable corpus file ({exc})") from None
