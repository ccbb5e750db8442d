import type { Resolvers } from '../generated/resolvers-types.ts';
import { Query } from './query.ts';
import { Role } from './role.ts';

export const resolvers: Resolvers = { Query, Role };
