/**
 * The providers Bosun ships with, as SDK-free profiles: the one list the worker's
 * configuration, the CLI, the demo and the example routing read. The worker's descriptors
 * (`builtInProviders`, activities/model/providers/) add an adapter factory to each.
 */
import { anthropicProfile } from './anthropic.ts';
import { openaiCompatibleProfile } from './openai-compatible.ts';
import { openaiProfile } from './openai.ts';

export { anthropicProfile, openaiCompatibleProfile, openaiProfile };

export const builtInProviderProfiles = [openaiProfile, anthropicProfile, openaiCompatibleProfile] as const;
export type BuiltInProviderProfile = (typeof builtInProviderProfiles)[number];
export type BuiltInProviderId = BuiltInProviderProfile['id'];
export const builtInProviderIds: readonly BuiltInProviderId[] = builtInProviderProfiles.map((p) => p.id);

/** The provider `npm start`'s built-in fake speaks (an OpenAI-protocol server replaying a
 * recorded conversation), and so the CLI's default. */
export const demoProviderProfile = openaiProfile;
