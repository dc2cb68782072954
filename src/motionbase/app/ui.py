"""The app's page (Gradio Blocks): text -> motion, and a part-level edit with 2D codes.

Tab "Text to motion": prompt, length in seconds (0: the model decides), seed, temperature (0: greedy)
-> the skeleton video, the BVH to download, the motion tokens and a status line (familiarity warnings,
errors). Tab "Edit body parts": the motion of prompt A with chosen parts (e.g. the arms) taken from a
motion of prompt B, shown beside both; only with a 2D tokenizer. Tab "Continue / in-between / inpaint /
long": an uploaded motion continued, two joined, a span regenerated, or a motion longer than one context
(:meth:`~.handlers.AppHandlers.task`). Element ids (``prompt``,
``generate``, ``video``, ``bvh``, ``tokens``, ``status``, ``edit-*``, ``task-*``) are stable for browser tests.
"""

from __future__ import annotations

from .gradio_import import require_gradio
from .handlers import TASKS, AppHandlers

TITLE = "motionbase: text to motion"
EXAMPLES = ("a person waves the left hand", "a person walks forward", "an elderly person slowly raises both hands")
# Gradio keeps, per session, a copy of the page's config with the last inputs and outputs (about 90 KiB for this
# page), the newest 10,000 sessions by default; every API call without a session hash is a session of its own, so
# a served app grew about 0.1 MB per generation (issue 15). This app keeps nothing between requests (no gr.State,
# the handlers return plain values), so a dropped session loses only Gradio's record of its last run, whose files
# go after AppHandlers.keep newer requests anyway: keep as many sessions as request folders.
SESSIONS_KEPT = AppHandlers.keep


def theme(gr):
    """Gradio's base theme on the system's fonts: nothing is fetched from a font server."""
    return gr.themes.Base(font=["system-ui", "-apple-system", "Segoe UI", "Roboto", "sans-serif"],
                          font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "monospace"])


def launch_options(blocks) -> dict:
    """Keyword arguments of ``Blocks.launch`` that keep the app offline, local and bounded in memory."""
    gr = require_gradio()
    return {"share": False, "ssr_mode": False, "pwa": False, "mcp_server": False, "quiet": True,
            "show_error": True, "theme": theme(gr), "allowed_paths": [str(blocks.motionbase_workdir)],
            "state_session_capacity": SESSIONS_KEPT}


def build_app(generator, *, workdir=None, render=None):
    """A ``gr.Blocks`` for ``generator`` (a :class:`~motionbase.generation.MotionGenerator`).

    workdir: where request files go (default: a new temp directory); render: a
    :class:`~motionbase.viz.render.RenderConfig` for the videos.
    """
    gr = require_gradio()
    handlers = AppHandlers(generator, workdir, render)
    limit = _slider_limit(generator)

    def outputs(prefix: str = ""):
        with gr.Column():
            video = gr.Video(label="Skeleton video", elem_id=f"{prefix}video", autoplay=True, loop=True,
                             interactive=False)
            bvh = gr.File(label="BVH (SMPL-22 skeleton)", elem_id=f"{prefix}bvh", interactive=False)
            status = gr.Textbox(label="Status", elem_id=f"{prefix}status", lines=2, interactive=False)
            tokens = gr.Textbox(label="Motion tokens (one line per time step)", elem_id=f"{prefix}tokens",
                                lines=8, max_lines=16, interactive=False)
        return [video, bvh, tokens, status]

    def sampling(prefix: str = ""):
        seconds = gr.Slider(0, limit, value=min(4.0, limit), step=1 / generator.codes_per_second,
                            label="Length in seconds (0: the model decides)", elem_id=f"{prefix}seconds")
        seed = gr.Number(value=0, precision=0, label="Seed", elem_id=f"{prefix}seed")
        temperature = gr.Slider(0, 2, value=1.0, step=0.05, label="Temperature (0: greedy)",
                                elem_id=f"{prefix}temperature")
        return [seconds, seed, temperature]

    def as_tuple(result):
        return (str(result.video) if result.video else None, str(result.bvh) if result.bvh else None,
                result.tokens, result.status)

    # Gradio copies every served video/BVH into its cache (/tmp/gradio); a long-running app would fill the disk:
    # every 10 minutes, files older than an hour go (the request folders themselves are capped by AppHandlers.keep).
    with gr.Blocks(title=TITLE, analytics_enabled=False, delete_cache=(600, 3600)) as blocks:
        gr.Markdown(f"## {TITLE}\nModel: `{generator.source or 'in memory'}`"
                    + (f"  \n_{generator.familiarity_note}_" if generator.familiarity_note else ""))
        with gr.Tab("Text to motion"):
            with gr.Row():
                with gr.Column():
                    prompt = gr.Textbox(label="Prompt", elem_id="prompt", placeholder=EXAMPLES[0], lines=2)
                    controls = sampling()
                    button = gr.Button("Generate", variant="primary", elem_id="generate")
                    gr.Examples([[e] for e in EXAMPLES], inputs=[prompt])
                shown = outputs()
            button.click(lambda *a: as_tuple(handlers.generate(*a)), [prompt, *controls], shown,
                         api_name="generate")
        with gr.Tab("Edit body parts"):
            if generator.part_names:
                with gr.Row():
                    with gr.Column():
                        prompt_a = gr.Textbox(label="Prompt A (keeps the other parts)", elem_id="edit-prompt-a",
                                              value=EXAMPLES[1])
                        prompt_b = gr.Textbox(label="Prompt B (gives the chosen parts)", elem_id="edit-prompt-b",
                                              value=EXAMPLES[0])
                        choices = list(generator.part_choices)
                        parts = gr.CheckboxGroup(choices, value=choices[:1], label="Parts taken from B",
                                                 elem_id="edit-parts")
                        edit_controls = sampling("edit-")
                        edit_button = gr.Button("Edit", variant="primary", elem_id="edit-run")
                    edit_shown = outputs("edit-")
                edit_button.click(lambda *a: as_tuple(handlers.edit(*a)), [prompt_a, prompt_b, parts, *edit_controls],
                                  edit_shown, api_name="edit")
            else:
                gr.Markdown("Part edits need a 2D motion tokenizer (codes per body part); this model's are 1D.")
        with gr.Tab("Continue / in-between / inpaint / long"):
            with gr.Row():
                with gr.Column():
                    task = gr.Radio(list(TASKS), value="continue", label="Task", elem_id="task-kind")
                    task_prompt = gr.Textbox(label="What the new part shows (optional; needed for long)",
                                             elem_id="task-prompt", lines=1)
                    motion_a = gr.File(label="Motion (.npy joints or features, .bvh)", elem_id="task-motion-a",
                                       file_types=[".npy", ".bvh"])
                    motion_b = gr.File(label="Second motion (in-between)", elem_id="task-motion-b",
                                       file_types=[".npy", ".bvh"])
                    span = gr.Textbox(label="Inpaint frames START:END (20 fps)", value="40:80", elem_id="task-span")
                    task_seconds = gr.Number(value=2.0, label="Seconds of new motion (long: total)",
                                             elem_id="task-seconds")
                    task_seed = gr.Number(value=0, precision=0, label="Seed", elem_id="task-seed")
                    task_temperature = gr.Slider(0, 2, value=1.0, step=0.05, label="Temperature (0: greedy)",
                                                 elem_id="task-temperature")
                    task_button = gr.Button("Run", variant="primary", elem_id="task-run")
                task_shown = outputs("task-")
            task_button.click(lambda *a: as_tuple(handlers.task(*a)),
                              [task, task_prompt, motion_a, motion_b, span, task_seconds, task_seed, task_temperature],
                              task_shown, api_name="task")
    blocks.motionbase_workdir = handlers.workdir
    return blocks


def _slider_limit(generator) -> float:
    """Longest length to offer: what the context holds after a typical prompt (at least one step)."""
    return max(generator.max_seconds(EXAMPLES[-1]), 1 / generator.codes_per_second)
