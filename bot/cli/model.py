"""``legalbot train`` and ``legalbot eval``."""

from __future__ import annotations

import json
from pathlib import Path

import click

from bot.cli import cli, command_services, load_settings
from bot.knowledge.faq import KnowledgeError


@cli.command()
@click.option("--seed", default=0, show_default=True, help="Random seed (training is reproducible).")
@click.option("--with-ledger", is_flag=True, help="Also learn from adviser-confirmed categories in the ledger.")
def train(seed: int, with_ledger: bool) -> None:
    """Train the classifier and FAQ index from knowledge/ into models/."""
    from bot.classifier.train import ModelError
    from bot.classifier.train import train as run_train

    settings = load_settings()
    extra: list[tuple[str, str]] = []
    if with_ledger:
        from bot.cli import database_errors
        from bot.ledger.learning import confirmed_examples

        with database_errors(), command_services().sessions() as session:
            extra = confirmed_examples(session)
        click.echo(f"台账中顾问确认的样本：{len(extra)} 条", err=True)
    try:
        sidecar = run_train(
            settings.knowledge_dir,
            settings.model_dir,
            seed=seed,
            extra=extra,
            progress=lambda m: click.echo(m, err=True),
        )
    except (KnowledgeError, ModelError) as exc:
        raise click.ClickException(f"{exc}（请修改 knowledge/ 中对应的文件后重试）") from exc
    heldout = sidecar["metrics"].get("heldout")
    if heldout:
        click.echo(f"留出集：n={heldout['n']} accuracy={heldout['accuracy']} macro-F1={heldout['macro_f1']}")


@cli.command("eval")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--mapping",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="JSON mapping of the file's categories onto ours (e.g. ../shared/data/taxonomy_mapping.json).",
)
@click.option("--source", help="Which mapping in the file to use (e.g. crimekg_13).")
@click.option("--subset", help="Only rows whose 'subset' field equals this (e.g. natural10k).")
@click.option(
    "--json",
    "json_out",
    type=click.Path(dir_okay=False, path_type=Path),
    is_flag=False,
    flag_value="-",
    default=None,
    help="Write the report as JSON (to a file, or stdout with no value).",
)
def evaluate(file: Path, mapping: Path | None, source: str | None, subset: str | None, json_out: Path | None) -> None:
    """Accuracy, macro-F1, per-class figures and the confusion matrix on a labelled JSONL file."""
    from bot.classifier.evaluate import evaluate_rows, format_report, load_eval_rows

    if mapping and not source:
        raise click.ClickException("--mapping 需要同时给出 --source（例如 --source crimekg_13）")
    try:
        rows, skipped = load_eval_rows(file, mapping, source, subset)
    except KnowledgeError as exc:
        raise click.ClickException(str(exc)) from exc
    if not rows:
        raise click.ClickException("没有可评估的行：请检查 --subset 和 --mapping")
    click.echo(f"评估 {len(rows)} 条（跳过无映射的 {skipped} 条）…", err=True)
    answerer = command_services().answerer
    report = evaluate_rows(answerer, rows, progress=lambda d, t: click.echo(f"  {d}/{t}", err=True))
    report["skipped_unmapped"] = skipped
    if json_out is None:
        click.echo(format_report(report))
    elif str(json_out) == "-":
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        click.echo(format_report(report))
        json_out.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
        click.echo(f"JSON 报告已写入 {json_out}", err=True)
