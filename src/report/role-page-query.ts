/** The one GraphQL query behind every rendering of a role page (Markdown report, HTML page). */
export const ROLE_PAGE_QUERY = /* GraphQL */ `
  query RolePage($slug: String!) {
    role(slug: $slug) {
      slug
      title
      summary
      responsibilitiesIntro
      responsibilities { position title text }
      careerIntro
      careerStepsIntro
      careerSteps { position title text }
      conclusion
      stats {
        openings
        employers
        salary { currency count mean median min max }
        degreeRequirement { employerShare postingShare employersRequiring employersKnown }
      }
    }
  }
`;

interface PageItem {
  position: number;
  title: string;
  text: string;
}

export interface RolePageData {
  slug: string;
  title: string;
  summary: string | null;
  responsibilitiesIntro: string | null;
  responsibilities: PageItem[];
  careerIntro: string | null;
  careerStepsIntro: string | null;
  careerSteps: PageItem[];
  conclusion: string | null;
  stats: {
    openings: number;
    employers: number;
    salary: { currency: string; count: number; mean: number | null; median: number | null; min: number | null; max: number | null };
    degreeRequirement: { employerShare: number | null; postingShare: number | null; employersRequiring: number; employersKnown: number };
  };
}
