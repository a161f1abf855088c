"""Jobs tab: recent renders with status, stage, progress, timings and errors; cancel, resume, open."""

from __future__ import annotations

from typing import Any

import gradio as gr

from .boundary import shown
from .common import JOB_HEADERS, Shared, job_rows, progress_reporter, row_value


def build(shared: Shared) -> gr.Dataframe:
    studio = shared.studio
    table = gr.Dataframe(headers=JOB_HEADERS, label="Recent jobs", interactive=False, wrap=True,
                         elem_id="jobs-table")
    with gr.Row():
        job_id = gr.Textbox(label="Job id", elem_id="jobs-job-id")
        refresh = gr.Button("Refresh", elem_id="jobs-refresh")
        cancel = gr.Button("Cancel", variant="stop", elem_id="jobs-cancel")
        resume = gr.Button("Resume", elem_id="jobs-resume")
        open_ = gr.Button("Open result", variant="primary", elem_id="jobs-open")
    with gr.Row():
        video = gr.Video(label="Result", interactive=False, elem_id="jobs-video")
        detail = gr.JSON(label="Job", elem_id="jobs-detail")

    @shown
    def rows() -> list[list[Any]]:
        return job_rows(studio.list_jobs(), {p["id"]: p["title"] for p in studio.list_projects()})

    def need(job: str) -> str:
        if not job.strip():
            raise gr.Error("Pick a job in the table first.")
        return job.strip()

    def select(data: Any, evt: gr.SelectData) -> str:
        return row_value(data, evt.index)

    @shown
    def cancel_selected(job: str) -> tuple[dict, list]:
        return studio.cancel_job(need(job)), rows()

    @shown
    def resume_job(job_id: str, progress: gr.Progress = gr.Progress()) -> dict[str, Any]:
        """Resume an interrupted, failed or cancelled render; returns the job once it has finished."""
        job = studio.resume_job(need(job_id))
        studio.wait(job, on_event=progress_reporter(progress))
        return studio.get_job(job)

    @shown
    def open_result(job: str) -> tuple[Any, dict]:
        j = studio.get_job(need(job))
        film = gr.Video(value=j["video"], subtitles=j.get("subtitles") or None) if j.get("video") else None
        return film, j

    private = {"api_visibility": "private"}
    refresh.click(rows, None, table, **private)
    table.select(select, table, job_id, **private)
    cancel.click(cancel_selected, job_id, [detail, table], **private)
    (resume.click(resume_job, job_id, detail, api_name="resume_job", **shared.gpu_events)
     .then(rows, None, table, **private))
    open_.click(open_result, job_id, [video, detail], **private)
    return table
