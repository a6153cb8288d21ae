import type { LiveEvent } from './live.js';
import type { Session } from './session.js';

/** View is one page of the app: it renders into `el` and refreshes itself on live changes. */
export interface View {
  title: string;
  el: HTMLElement;
  /** refresh reloads the view's data from the API and redraws it */
  refresh(): Promise<void>;
  /** onEvent sees each live event before the debounced refresh (e.g. to list a VM's events) */
  onEvent?(e: LiveEvent): void;
  /** close stops the view's own timers */
  close?(): void;
}

/** ViewContext is what every view gets: the session and the events seen so far. */
export interface ViewContext {
  session: Session;
  events: readonly LiveEvent[];
  go: (route: string) => void;
}
