"""``labeler roster`` and ``labeler keys card``: the team roster the lead signs, and joining it."""

from __future__ import annotations

from pathlib import Path

import click

from labeler.cli.common import open_workspace, workspace_option

ROLE = click.Choice(["labeler", "lead", "triage"])


@click.group()
def roster() -> None:
    """The team roster: members, roles, restricted access and keys, signed by the lead."""


def _print(team: object) -> None:
    from labeler.crypto.roster import Roster

    assert isinstance(team, Roster)
    click.echo(f"Team roster v{team.version} (team {team.payload.team_id[:12]}):")
    for m in team.members:
        access = "restricted access" if m.restricted else "no restricted access"
        click.echo(f"  {m.display_name} — {m.role}, {access}; id {m.id}")
    for r in team.payload.revoked:
        click.echo(f"  revoked: key of {r.member_id} from {r.revoked_at}")


@roster.command()
@workspace_option
@click.option("--name", required=True, help="Your display name, as the team sees it.")
def init(workspace: str | None, name: str) -> None:
    """Start a team with you as its lead (roster v1)."""
    from labeler.crypto import roster as team

    with open_workspace(workspace) as ws:
        _print(team.init(ws.store, ws.writer, name))


@roster.command()
@workspace_option
@click.argument("card", type=click.Path(path_type=Path))
@click.option("--role", type=ROLE, default="labeler", show_default=True)
@click.option("--restricted/--no-restricted", default=False, help="May open restricted items.")
def add(workspace: str | None, card: Path, role: str, restricted: bool) -> None:
    """Add the person whose member card this is (a new roster version)."""
    from labeler.crypto import roster as team

    with open_workspace(workspace) as ws:
        new, member = team.add(ws.store, ws.writer, card, role, restricted)
    from labeler.crypto.signing import parse_public_key

    access = "with" if member.restricted else "without"
    click.echo(
        f"Added {member.display_name} as {member.role}, {access} restricted access; roster is "
        f"now v{new.version}. Their key's fingerprint: "
        f"{parse_public_key(member.signing_key).fingerprint()} (it must be the one they told "
        "you; if not, 'labeler roster remove' them)."
    )
    click.echo("Send everyone the new roster: 'labeler roster export -o team.roster'.")


@roster.command(name="set")
@workspace_option
@click.argument("member")
@click.option("--role", type=ROLE, default=None)
@click.option("--restricted/--no-restricted", default=None, help="May open restricted items.")
@click.option(
    "--card",
    type=click.Path(path_type=Path),
    default=None,
    help="The member's new card: their old key is revoked from now.",
)
def set_(
    workspace: str | None, member: str, role: str | None, restricted: bool | None,
    card: Path | None,
) -> None:  # fmt: skip
    """Change a member's role, restricted access or keys (by id or display name)."""
    from labeler.crypto import roster as team

    if role is None and restricted is None and card is None:
        raise click.UsageError("Give --role, --restricted/--no-restricted or --card.")
    with open_workspace(workspace) as ws:
        _print(team.change(ws.store, ws.writer, member, role=role, restricted=restricted,
                           card_path=card))  # fmt: skip


@roster.command()
@workspace_option
@click.argument("member")
def remove(workspace: str | None, member: str) -> None:
    """Take a member off the team; files their key signs from now on are refused."""
    from labeler.crypto import roster as team

    with open_workspace(workspace) as ws:
        _print(team.remove(ws.store, ws.writer, member))


@roster.command(name="export")
@workspace_option
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
def export_(workspace: str | None, output: Path) -> None:
    """Write the current signed roster for the team (team.roster)."""
    from labeler.crypto import roster as team

    with open_workspace(workspace) as ws:
        done = team.export(ws.store, output)
    click.echo(f"Wrote roster v{done.version} to {output}.")


@roster.command(name="import")
@workspace_option
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--lead-key", default=None, help="The lead's public key (the first roster only: check "
    "its fingerprint with the lead).",
)  # fmt: skip
def import_(workspace: str | None, file: Path, lead_key: str | None) -> None:
    """Accept a roster from the lead (only a newer one, signed by the lead key trusted here)."""
    from labeler.crypto import roster as team
    from labeler.crypto.signing import parse_public_key

    given = parse_public_key(lead_key).encoded() if lead_key else None
    with open_workspace(workspace) as ws:
        accepted, changed = team.accept(ws.store, ws.writer, file, lead_key=given)
    if not changed:
        click.echo(f"Roster v{accepted.version} is the one here already; nothing changed.")
        return
    _print(accepted)


@roster.command()
@workspace_option
def show(workspace: str | None) -> None:
    """Print the team roster this laptop holds."""
    from labeler.crypto import roster as team

    with open_workspace(workspace) as ws:
        current = team.current(ws.store)
    if current is None:
        click.echo("No team roster yet: the lead runs 'labeler roster init'.")
        return
    _print(current)


def add_card_command(keys: click.Group) -> None:
    @keys.command()
    @workspace_option
    @click.option("--name", required=True, help="Your display name, as the team will see it.")
    @click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
    def card(workspace: str | None, name: str, output: Path) -> None:
        """Write your member card (public keys, signed) to send to the lead to join."""
        from labeler.crypto import roster as team
        from labeler.crypto.signing import signing_key

        with open_workspace(workspace) as ws:
            team.write_card(ws.store, output, name)
            fingerprint = signing_key(ws.store).public.fingerprint()
        click.echo(f"Wrote {output}. Tell the lead your key's fingerprint: {fingerprint}")

    @keys.command(name="age-identity")
    @workspace_option
    @click.option("--reveal", is_flag=True, help="Print the secret identity (for the stock age).")
    def age_identity(workspace: str | None, reveal: bool) -> None:
        """Print your age recipient; with --reveal, the identity that opens sealed files."""
        from labeler.crypto import age_keys

        with open_workspace(workspace) as ws:
            click.echo(age_keys.recipient(ws.store))
            if reveal:
                click.echo(str(age_keys.identity(ws.store)))


COMMANDS = [roster]
