import { x } from '@app/mle';
console.log('hello', x);
