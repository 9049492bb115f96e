export { createLearner, type LearnerHandle, type LearnerOptions } from './learner';
