// Vitest setup file: after each test file, remove the temporary directories its tests made.
import { afterAll } from 'vitest';
import { removeTempDirs } from './process.ts';

afterAll(() => removeTempDirs());
