/** An employer: its id and its name, the first spelling imported (postings are matched to it by normalized name). */
export interface EmployerRecord {
  id: number;
  name: string;
}
