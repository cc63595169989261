/** The member's spaces: switch, create, rename, and remove from this device. */
import type { SpaceSummary } from '../../shared/host-api';

export function SpacesNav({
  spaces,
  currentId,
  currentName,
  onSwitch,
  onNew,
  onRename,
  onRemove,
}: {
  spaces: SpaceSummary[];
  currentId: string;
  currentName: string;
  onSwitch: (id: string) => void;
  onNew: () => void;
  onRename: () => void;
  onRemove: () => void;
}) {
  return (
    <nav aria-label="Spaces" className="spaces-nav">
      <ul>
        {spaces.map((space) => {
          const name = (space.id === currentId ? currentName : space.name) || 'Untitled space';
          return (
            <li key={space.id}>
              <button type="button" className="space-row" aria-current={space.id === currentId ? 'true' : undefined} onClick={() => onSwitch(space.id)} title={name}>
                {name}
              </button>
            </li>
          );
        })}
      </ul>
      <div className="space-actions">
        <button type="button" className="link-button" onClick={onNew}>
          New space
        </button>
        <button type="button" className="link-button" onClick={onRename}>
          Rename space
        </button>
        <button type="button" className="link-button danger" onClick={onRemove}>
          Remove from this device
        </button>
      </div>
    </nav>
  );
}
