/** The hub's analysis of a board and of a workshop (PROTOCOL.md, "Reading the map"). */
export type Text = { nl: string; en: string };

export interface Suggestion {
  kind: string;
  actors: string[];
  relations: string[];
  text: Text;
  game_changers: string[];
}

export interface Headline {
  actors: number;
  relations: number;
  score: number | null;
  ei_index: number | null;
  balanced_share: number | null;
  frustration: number;
  communities: number;
  schakels: number;
  movers: number;
  fragile: number;
}

export interface FragileLink {
  source: string;
  target: string;
  relations: string[];
  bridge: boolean;
  span: number | null;
  sides: number[];
}

export interface Polarisation {
  score: number | null;
  closure: number | null;
  hostility: number | null;
  distance: number | null;
  no_score_reason: string;
  camps: Record<string, number>;
  frustrated_relations: string[];
}

export interface GameChanger {
  id: string;
  text: Text;
  fits: string[];
}

export interface BoardAnalysis {
  version: number;
  headline: Headline;
  important: string[];
  suggestions: Suggestion[];
  fragile: FragileLink[];
  whatif: { actor: string; poles_cut: boolean; lost: Record<string, string[]>; parts_after: number }[];
  polarisation: Polarisation;
  game_changers: GameChanger[];
  meta: Record<string, string>;
}

export interface Placement {
  board: string;
  actor: string;
  label: string;
  roles: string[];
  stance: string;
  pole_name: string;
  influence: number | null;
}

export interface SharedActor {
  name: string;
  boards: string[];
  placements: Placement[];
  disagree: string[];
  text: Text | null;
  variants: string[];
}

export interface WorkshopAnalysis {
  workshop: string;
  boards: Record<string, { label: Text; seq: number; headline: Headline }>;
  shared: SharedActor[];
  history: { round: number; part: number; round_title: string; part_title: string; at: number; boards: Record<string, Headline> }[];
}
