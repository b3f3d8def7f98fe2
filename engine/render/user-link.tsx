/**
 * A user's name linked to their record in the users list (/configure/users/:id) when the viewer may
 * open it (`linked`: an administrator looking at a user of the site they work on); the plain name
 * otherwise.
 */
export function UserLink(props: { id: string; username: string; linked?: boolean }) {
  return props.linked === false ? <>{props.username}</> : <a href={`/configure/users/${props.id}`}>{props.username}</a>;
}
