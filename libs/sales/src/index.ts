export { salesReorder } from './sales-reorder.plugin';
